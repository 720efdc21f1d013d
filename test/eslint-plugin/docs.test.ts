import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import plugin from '../../eslint-plugin/index.js';

const docs = (rule: string) => new URL(`../../rules-docs/${rule}.md`, import.meta.url);

describe.each(Object.keys(plugin.rules))('rules-docs/%s.md', (rule) => {
  const text = existsSync(docs(rule)) ? readFileSync(docs(rule), 'utf8') : '';
  const meta = plugin.rules[rule]?.meta;
  if (meta === undefined) throw new Error(`rule ${rule} has no meta`);

  it('exists with the generated header', () => {
    expect(text).toContain('<!-- end auto-generated rule header -->');
    expect(text).toContain(`\`bounded/${rule}\``);
  });

  it('has a heading for every schema option, and no heading for an option that does not exist', () => {
    const schema = meta.schema as unknown as { properties?: Record<string, { description?: string }> }[];
    const options = Object.keys(schema[0]?.properties ?? {});
    const headings = [...text.matchAll(/^### `([^`]+)`/gm)].map((match) => match[1]);
    expect(headings.sort()).toEqual(options.sort());
    for (const option of options) expect(schema[0]!.properties![option]!.description, option).toBeTruthy();
  });

  it('shows incorrect and correct code and says when not to use it', () => {
    expect(text).toContain('❌');
    expect(text).toContain('✅');
    expect(text).toMatch(/^## When not to use it/m);
  });

  it('is in the recommended config, with a docs URL', () => {
    expect(plugin.configs.recommended.rules?.[`bounded/${rule}`]).toBe('error');
    expect(meta.docs?.url).toContain(`rules-docs/${rule}.md`);
  });
});
