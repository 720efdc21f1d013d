import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, normalize, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '@bounded/policy';
import plugin from 'eslint-plugin-bounded';

// Each package's README is read on npmjs.com, away from the repository: a relative link must
// name a file the tarball holds, and everything else must point at the repository on GitHub.

const root = fileURLToPath(new URL('../..', import.meta.url));
const REPOSITORY = 'https://github.com/bounded-dev/bounded';
const PACKAGES = ['policy', 'runtime', 'eslint-plugin', 'codemods', 'cli'] as const;

/** Files copied into a package when it is packed (not committed there): package folder → repository folder. */
const PACK_TIME_COPIES: Partial<Record<(typeof PACKAGES)[number], Record<string, string>>> = {
  'eslint-plugin': { 'rules-docs': 'rules-docs' },
};

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  files?: string[];
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

/** A `files` glob as a regular expression over package-relative POSIX paths (npm's rules: a folder includes everything in it). */
function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        pattern += '(?:.*/)?';
        i += 2;
      } else {
        pattern += '.*';
        i += 1;
      }
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern.replace(/\/$/, '')}(?:/.*)?$`);
}

/** Whether npm packs `path` (package-relative, POSIX) under `files`; package.json, README and LICENSE always ship. */
function packed(path: string, files: readonly string[]): boolean {
  if (/^(package\.json|readme(\.md)?|license(\.md)?)$/i.test(path)) return true;
  let included = false;
  for (const entry of files) {
    if (entry.startsWith('!')) {
      if (globToRegExp(entry.slice(1)).test(path)) included = false;
    } else if (globToRegExp(entry).test(path)) included = true;
  }
  return included;
}

/** Markdown text outside fenced code blocks and inline code. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].filter((match) => match[1] === language).map((match) => match[2]!);
}

/** The anchors GitHub gives a Markdown file's headings. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Names the README's examples import from bounded's packages that the packages do not export. */
async function missingImports(markdown: string): Promise<string[]> {
  const missing: string[] = [];
  for (const [, names, from] of markdown.matchAll(/^import \{([^}]+)\} from '(@bounded\/[a-z/]+|eslint-plugin-bounded)';$/gm)) {
    const module = (await import(/* @vite-ignore */ from!)) as Record<string, unknown>;
    for (const name of names!.split(',').map((part) => part.trim().replace(/^type\s+/, ''))) {
      if (name !== '' && !(name in module)) missing.push(`${name} from ${from}`);
    }
  }
  return missing;
}

/** Problems with one link of a package README; none when it is fine. */
function checkLink(link: string, pkg: (typeof PACKAGES)[number], files: readonly string[], readme: string): string[] {
  const [target = '', anchor] = link.split('#') as [string, string | undefined];
  if (target === '')
    return anchor === undefined || anchors(readme).has(anchor) ? [] : [`${link}: no heading with that anchor in the README`];
  if (/^(mailto:|https?:\/\/(?!github\.com\/bounded-dev\/bounded\b))/.test(target)) return [];
  if (target.startsWith(REPOSITORY)) {
    const rest = target.slice(REPOSITORY.length);
    if (rest === '' || rest === '/issues' || rest === '/issues/new') return [];
    const match = /^\/(blob|tree)\/main\/(.+)$/.exec(rest);
    if (match === null) return [`${link}: a repository link must be ${REPOSITORY}/blob/main/<file> or /tree/main/<folder>`];
    const path = join(root, ...match[2]!.split('/'));
    if (!existsSync(path)) return [`${link}: ${match[2]} is not in the repository`];
    if (match[1] === 'blob' && !statSync(path).isFile()) return [`${link}: ${match[2]} is a folder; use /tree/main/`];
    if (match[1] === 'tree' && !statSync(path).isDirectory()) return [`${link}: ${match[2]} is a file; use /blob/main/`];
    if (anchor !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor))
      return [`${link}: no heading #${anchor} in ${match[2]}`];
    return [];
  }
  if (/^[a-z]+:/i.test(target) || target.startsWith('/')) return [`${link}: not a relative link, nor a link into ${REPOSITORY}`];

  // Relative: the file must be in the tarball.
  const inPackage = posix.normalize(target);
  if (inPackage.startsWith('..')) return [`${link}: leaves the package; link ${REPOSITORY}/blob/main/… instead`];
  if (!packed(inPackage, files)) return [`${link}: ${inPackage} is not in the package's "files"`];
  let source = join(root, pkg, inPackage);
  for (const [to, from] of Object.entries(PACK_TIME_COPIES[pkg] ?? {})) {
    if (!existsSync(source) && inPackage.startsWith(`${to}/`)) source = join(root, from, inPackage.slice(to.length + 1));
  }
  if (!existsSync(source)) return [`${link}: ${inPackage} does not exist in ${pkg}/ (nor among the files copied in at pack time)`];
  if (anchor !== undefined && source.endsWith('.md') && !anchors(readFileSync(source, 'utf8')).has(anchor))
    return [`${link}: no heading #${anchor} in ${inPackage}`];
  return [];
}

describe.each(PACKAGES)('%s/README.md', (pkg) => {
  const manifest = readJson(join(root, pkg, 'package.json'));
  const readmePath = join(root, pkg, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';

  it('exists, names the package and shows how to install it', () => {
    expect(readme, `${pkg}/README.md is missing`).not.toBe('');
    expect(readme.startsWith(`# ${manifest.name}\n`)).toBe(true);
    expect(readme).toMatch(new RegExp(`npm i (-D )?(\\S+ )*${manifest.name.replace('/', '\\/')}\\b`));
  });

  it('links only files the package ships, or files of the repository on GitHub', () => {
    const found = links(readme);
    expect(found.length).toBeGreaterThan(0);
    const problems = found.flatMap((link) => checkLink(link, pkg, manifest.files ?? [], readme));
    expect(problems).toEqual([]);
  });

  it('has the metadata npm shows: repository, homepage, bugs, keywords, license', () => {
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: pkg });
    expect(manifest.homepage).toBe(`${REPOSITORY}/tree/main/${pkg}#readme`);
    expect(manifest.bugs?.url).toBe(`${REPOSITORY}/issues`);
    expect(manifest.keywords?.length).toBeGreaterThan(0);
    expect(manifest.license).toBe('MIT');
    expect(manifest.files).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));
    expect(readFileSync(join(root, pkg, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
  });

  it('imports only what the packages export', async () => {
    expect(await missingImports(readme)).toEqual([]);
  });
});

describe('README policy examples', () => {
  const readmes = ['README.md', ...PACKAGES.map((pkg) => `${pkg}/README.md`)].filter((path) => existsSync(join(root, path)));

  it.each(readmes)('every bounded.policy.yaml shown in %s is valid', (path) => {
    const blocks = codeBlocks(readFileSync(join(root, path), 'utf8'), 'yaml').filter(
      (block) => /^(version: 1|lint:|defaults:|rateLimits:)/m.test(block) && !/^\s*(-\s+)?(uses|id|repos|on|jobs):/m.test(block),
    );
    for (const block of blocks) {
      const { problems } = parsePolicy(block, path, { env: { DATABASE_URL: 'postgres://localhost/test' } });
      expect(
        problems.map((problem) => `${problem.path}: ${problem.message}`),
        block,
      ).toEqual([]);
    }
  });
});

describe('eslint-plugin/README.md', () => {
  const readme = readFileSync(join(root, 'eslint-plugin', 'README.md'), 'utf8');

  it('lists every rule, each linked to the doc the package ships', () => {
    const listed = [...readme.matchAll(/^\| \[`bounded\/([a-z-]+)`\]\(rules-docs\/([a-z-]+)\.md\)/gm)];
    expect(listed.map((match) => match[1]).sort()).toEqual(Object.keys(plugin.rules).sort());
    for (const match of listed) expect(match[2]).toBe(match[1]);
  });

  it('shows the CommonJS form that works: the plugin is the default export', () => {
    expect(readme).toContain("const bounded = require('eslint-plugin-bounded').default;");
    expect(readme).toContain('module.exports = [bounded.configs.recommended];');
    // What a CommonJS config gets: a plain Node process's require of the built ES module (eslint-plugin/dist).
    const script = "const bounded = require('eslint-plugin-bounded').default; console.log(Object.keys(bounded.configs).sort().join(','));";
    expect(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 }).trim()).toBe(
      'all,recommended,strict',
    );
  });
});

describe('the root README', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('links only files that exist in the repository', () => {
    const problems = links(readme)
      .filter((link) => !/^[a-z]+:/i.test(link))
      .flatMap((link) => {
        const [target = '', anchor] = link.split('#') as [string, string | undefined];
        const path = target === '' ? join(root, 'README.md') : join(root, normalize(target));
        if (relative(root, path).startsWith(`..${sep}`) || !existsSync(path)) return [`${link}: no such file`];
        if (anchor !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor))
          return [`${link}: no heading #${anchor}`];
        return [];
      });
    expect(problems).toEqual([]);
  });

  it('starts with the two fresh-clone commands, then shows how each kind of user installs bounded', () => {
    const first = codeBlocks(readme, 'sh')[0]!;
    expect(first).toMatch(/^npm ci && npx bounded check fixtures\/agent-service/m);
    expect(first).toMatch(/^npm test/m);
    for (const line of [
      'npm i @bounded/runtime',
      'npm i -D eslint eslint-plugin-bounded',
      "require('eslint-plugin-bounded').default",
      'uses: bounded-dev/bounded@',
      'id: bounded-check',
    ]) {
      expect(readme).toContain(line);
    }
    expect(readme.indexOf('npm i @bounded/runtime')).toBeGreaterThan(readme.indexOf(first));
  });

  it('imports only what the packages export', async () => {
    expect(await missingImports(readme)).toEqual([]);
  });

  it('names the packages as they are published', () => {
    expect(readme).not.toMatch(/(?<![@\w/-])bounded\/(runtime|eslint-plugin)\b/);
    for (const block of [...codeBlocks(readme, 'ts'), ...codeBlocks(readme, 'js')]) {
      expect(block).not.toMatch(/from '(bounded|bounded\/runtime|bounded\/eslint-plugin)'/);
    }
  });
});
