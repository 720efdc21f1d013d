import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The GitHub Action's script step (scripts/action-check.sh) and the pre-commit hooks, run the
// way GitHub and pre-commit run them, with the CLI built into cli/dist instead of `npx bounded`.

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'cli', 'dist', 'bin.js');
const script = join(root, 'scripts', 'action-check.sh');
const fixture = join(root, 'fixtures', 'agent-service');
const cliPackage = JSON.parse(readFileSync(join(root, 'cli', 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const RULES = [
  'bounded/no-handmade-timeout',
  'bounded/no-per-call-connection',
  'bounded/no-sync-io-in-async',
  'bounded/no-unbounded-concurrency',
  'bounded/no-unmanaged-background-work',
  'bounded/no-unthrottled-provider-call',
  'bounded/require-release',
  'bounded/require-timeout',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface SarifLog {
  runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
}

let temp: string;
beforeAll(() => {
  expect(existsSync(bin), 'cli/dist/bin.js is missing: run npm run build').toBe(true);
  temp = mkdtempSync(join(tmpdir(), 'bounded-action-'));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Runs the action's script step in the fixture, as the step's `env:` would, and reads what it reported. */
async function actionStep(name: string, inputs: Record<string, string>) {
  const sarif = join(temp, `${name}.sarif`);
  const githubOutput = join(temp, `${name}.output`);
  const stepSummary = join(temp, `${name}.summary`);
  writeFileSync(githubOutput, '');
  writeFileSync(stepSummary, '');
  const result = await run('bash', [script], fixture, {
    BOUNDED_BIN: bin,
    BOUNDED_ACTION_SARIF: sarif,
    GITHUB_OUTPUT: githubOutput,
    GITHUB_STEP_SUMMARY: stepSummary,
    ...inputs,
  });
  const outputs = Object.fromEntries(
    readFileSync(githubOutput, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const log = existsSync(sarif) ? (JSON.parse(readFileSync(sarif, 'utf8')) as SarifLog) : undefined;
  return { ...result, outputs, log, summary: readFileSync(stepSummary, 'utf8') };
}

describe('the GitHub Action script step (scripts/action-check.sh)', () => {
  it('on the hazard fixture: writes a SARIF report with every rule in it, reports the count, and exits 1', async () => {
    const step = await actionStep('hazards', { BOUNDED_ACTION_PATHS: 'src/hazards' });

    expect(step.code, step.stderr + step.stdout).toBe(1);
    const results = step.log!.runs.flatMap((r) => r.results);
    expect(new Set(results.map((r) => r.ruleId))).toEqual(new Set(RULES));
    // URIs relative to the working directory (the repository root on GitHub), as code scanning needs.
    expect(results.every((r) => r.locations[0]!.physicalLocation.artifactLocation.uri.startsWith('src/hazards/'))).toBe(true);
    expect(step.outputs).toMatchObject({ 'exit-code': '1', findings: String(results.length), 'sarif-file': join(temp, 'hazards.sarif') });
    expect(step.stdout).toContain(`::error::bounded check: ${results.length} finding(s)`);
    expect(step.summary).toContain(`### bounded check: ${results.length} findings`);
    for (const rule of RULES) expect(step.summary).toContain(`| \`${rule}\` | ${results.filter((r) => r.ruleId === rule).length} |`);
  });

  it('on the safe twins: an empty SARIF report and exit 0', async () => {
    const step = await actionStep('safe', { BOUNDED_ACTION_PATHS: 'src/safe' });

    expect(step.code, step.stderr + step.stdout).toBe(0);
    expect(step.log!.runs.flatMap((r) => r.results)).toEqual([]);
    expect(step.outputs).toMatchObject({ 'exit-code': '0', findings: '0' });
    expect(step.stdout).toContain('bounded check: no findings');
  });

  it('with fail-on-findings false: exits 0, still reports, and annotates each finding; paths split on newlines', async () => {
    const step = await actionStep('lenient', {
      BOUNDED_ACTION_PATHS: 'src/safe\n  src/hazards\n',
      BOUNDED_ACTION_FAIL_ON_FINDINGS: 'false',
      BOUNDED_ACTION_ANNOTATE: 'true',
    });

    expect(step.code, step.stderr + step.stdout).toBe(0);
    const results = step.log!.runs.flatMap((r) => r.results);
    expect(results.length).toBeGreaterThan(0);
    expect(step.outputs.findings).toBe(String(results.length));
    const annotations = step.stdout.split('\n').filter((line) => line.startsWith('::error file='));
    expect(annotations).toHaveLength(results.length);
    expect(annotations).toContainEqual(
      expect.stringMatching(
        /^::error file=src\/hazards\/db\.ts,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=bounded\/require-release::/,
      ),
    );
    expect(step.stdout).toContain(`::warning::bounded check: ${results.length} finding(s) (fail-on-findings is false)`);
  });

  it('fails when the check cannot run (an invalid policy), whatever fail-on-findings says, and claims no findings', async () => {
    const policy = join(temp, 'bounded.policy.yaml');
    writeFileSync(policy, 'version: 1\nrateLimits:\n  openai: { rate: -1, per: 1m }\n');
    const step = await actionStep('invalid', {
      BOUNDED_ACTION_PATHS: 'src/safe',
      BOUNDED_ACTION_POLICY: policy,
      BOUNDED_ACTION_FAIL_ON_FINDINGS: 'false',
    });

    expect(step.code).toBe(2); // bounded check itself exits 1 here: the script must not let that read as findings
    expect(step.outputs['exit-code']).toBe('1');
    expect(step.stderr).toContain('rateLimits.openai.rate: expected a positive number, got -1');
    expect(step.stdout).toContain('::error::bounded check failed');
    expect(step.log).toBeUndefined();
    expect(step.outputs.findings).toBeUndefined();
    expect(step.outputs['sarif-file']).toBeUndefined();
  });

  it('refuses a fail-on-findings that is not true or false, before running anything', async () => {
    const step = await actionStep('typo', { BOUNDED_ACTION_FAIL_ON_FINDINGS: 'yes' });

    expect(step.code).toBe(2);
    expect(step.stdout).toContain('::error::bounded action: fail-on-findings must be true or false, got "yes"');
    expect(step.outputs).toEqual({});
  });
});

interface ActionStep {
  id?: string;
  uses?: string;
  if?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

describe('action.yml', () => {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: ActionStep[] };
  };
  const check = action.runs.steps.find((step) => step.id === 'check')!;

  it('runs the tested script, handing it every input it reads', () => {
    expect(action.runs.using).toBe('composite');
    expect(check.run).toBe('bash "$GITHUB_ACTION_PATH/scripts/action-check.sh"');
    const read = new Set(readFileSync(script, 'utf8').match(/BOUNDED_ACTION_[A-Z_]+/g));
    expect(new Set(Object.keys(check.env!))).toEqual(read);
    for (const value of Object.values(check.env!)) {
      const input = /inputs\.([a-z-]+)/.exec(value)?.[1];
      expect(input !== undefined && input in action.inputs, value).toBe(true);
    }
  });

  it('runs the CLI version this repository builds, and uploads the report as category bounded even after findings', () => {
    expect(action.inputs.version!.default).toBe(cliPackage.version);
    const upload = action.runs.steps.find((step) => step.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload.with).toEqual({ sarif_file: '${{ steps.check.outputs.sarif-file }}', category: 'bounded' });
    expect(upload.if).toContain('!cancelled()');
    expect(action.runs.steps.indexOf(upload)).toBeGreaterThan(action.runs.steps.indexOf(check));
    expect(action.inputs.paths!.default).toBe('.');
    expect(action.inputs['fail-on-findings']!.default).toBe('true');
    for (const output of Object.values(action.outputs)) expect(output.value).toMatch(/^\$\{\{ steps\.check\.outputs\.[a-z-]+ \}\}$/);
  });
});

interface Hook {
  id: string;
  entry: string;
  language: string;
  additional_dependencies?: string[];
  types_or?: string[];
  files?: string;
}

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];
  const hook = (id: string) => hooks.find((h) => h.id === id)!;

  /** Runs a hook's entry as pre-commit would, with `bounded` resolved to the built CLI. */
  function entry(h: Hook, files: string[], cwd: string) {
    const [command, ...args] = h.entry.split(' ');
    expect(Object.keys(cliPackage.bin)).toContain(command);
    return run(process.execPath, [bin, ...args, ...files], cwd);
  }

  it('installs the pinned CLI for every hook', () => {
    expect(hooks.map((h) => h.id)).toEqual(['bounded-check', 'bounded-policy-validate']);
    for (const h of hooks) {
      expect(h.language).toBe('node');
      expect(h.additional_dependencies).toEqual([`bounded@${cliPackage.version}`]);
    }
    expect(hook('bounded-check').types_or).toEqual(['ts', 'tsx', 'javascript', 'jsx']);
  });

  it('bounded-check runs `bounded check` on the staged files: exit 1 on hazards, 0 on safe code', async () => {
    const h = hook('bounded-check');
    const hazards = await entry(h, ['src/hazards/db.ts', 'src/safe/db.ts'], fixture);
    expect(hazards.code, hazards.stderr).toBe(1);
    expect(hazards.stderr).toMatch(/2 files checked, [1-9]\d* findings/);
    const safe = await entry(h, ['src/safe/db.ts', 'src/safe/agent.ts'], fixture);
    expect(safe.code, safe.stderr).toBe(0);
  });

  it('bounded-policy-validate matches policy files only, and validates the one staged', async () => {
    const h = hook('bounded-policy-validate');
    const files = new RegExp(h.files!);
    expect(['bounded.policy.yaml', 'services/api/bounded.policy.yaml'].every((f) => files.test(f))).toBe(true);
    expect(['bounded.policy.yaml.bak', 'my-bounded.policy.yaml', 'src/index.ts'].some((f) => files.test(f))).toBe(false);

    const dir = mkdtempSync(join(temp, 'policy-'));
    writeFileSync(join(dir, 'bounded.policy.yaml'), 'version: 1\ndefaults:\n  concurrency: 8\n');
    expect((await entry(h, ['bounded.policy.yaml'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'bounded.policy.yaml'), 'version: 1\ndefaults:\n  concurency: 8\n');
    const invalid = await entry(h, ['bounded.policy.yaml'], dir);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('bounded.policy.yaml:3:3: defaults.concurency: unknown key "concurency"');
  });
});
