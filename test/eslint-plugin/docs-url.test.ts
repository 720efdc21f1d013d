/**
 * Every rule's `meta.docs.url` comes from the one base in create-rule.ts and names a rule doc
 * that exists in the repository and ships inside eslint-plugin-bounded (copied in at pack time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';
import { RULE_DOCS_BASE, ruleDocsPath } from '../../eslint-plugin/utils/create-rule.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('rule docs URLs', () => {
  const packed = (): string[] => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--workspace', 'eslint-plugin-bounded'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return (JSON.parse(output) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
  };

  it('are all built from one base and name a doc that exists and ships', () => {
    const files = packed();
    for (const [name, rule] of Object.entries(plugin.rules)) {
      const url = rule.meta?.docs?.url ?? '';
      expect(url, name).toBe(`${RULE_DOCS_BASE}${ruleDocsPath(name)}`);
      expect(existsSync(`${ROOT}${ruleDocsPath(name)}`), `${ruleDocsPath(name)} in the repository`).toBe(true);
      expect(files, `${ruleDocsPath(name)} in the tarball`).toContain(ruleDocsPath(name));
    }
  });

  it('the base is an absolute URL into the repository named in package.json', async () => {
    const manifest = (await import('../../eslint-plugin/package.json', { with: { type: 'json' } })).default as {
      repository: { url: string };
    };
    const repository = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(RULE_DOCS_BASE.startsWith(`${repository}/blob/`)).toBe(true);
  });
});
