import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main, suggest } from '../../cli/main.js';

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('bounded CLI', () => {
  it('prints the package version', async () => {
    const out = capture();
    expect(await main(['--version'], out.io)).toBe(0);
    expect(out.stdout).toBe(`${pkg.version}\n`);
  });

  it('lists every command in --help', async () => {
    const out = capture();
    expect(await main(['--help'], out.io)).toBe(0);
    for (const command of ['check', 'migrate', 'stress', 'policy']) {
      expect(out.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    }
  });

  it('prints help and exits 2 with no command', async () => {
    const out = capture();
    expect(await main([], out.io)).toBe(2);
    expect(out.stdout).toContain('Usage: bounded <command>');
  });

  it('rejects an unknown command with a did-you-mean', async () => {
    const out = capture();
    expect(await main(['chek'], out.io)).toBe(2);
    expect(out.stderr).toContain('unknown command "chek" (did you mean "check"?)');
  });

  it("shows a command's usage with --help", async () => {
    const out = capture();
    expect(await main(['migrate', '--help'], out.io)).toBe(0);
    expect(out.stdout).toContain('Usage: bounded migrate [paths');
  });
});

describe('suggest', () => {
  it('finds the closest name within two edits and nothing beyond', () => {
    expect(suggest('polcy', ['check', 'policy'])).toBe('policy');
    expect(suggest('xyzzy', ['check', 'policy'])).toBeUndefined();
  });
});
