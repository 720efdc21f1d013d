import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  POLICY_FILE_NAME,
  PolicyError,
  formatProblem,
  loadPolicy,
  resolvePolicyPath,
  type Policy,
  type RateLimitPolicy,
  type SemaphorePolicy,
  type StorePolicy,
} from '@bounded/policy';
import { maskSecrets } from '@bounded/policy';
import { STARTER_POLICY } from '@bounded/policy';
import type { Io } from '../io.js';

export const POLICY_USAGE = `Usage:
  bounded policy init [FILE]       Write a commented starter ${POLICY_FILE_NAME} (never overwrites)
  bounded policy validate [FILE]   Check a policy file; exit 0 when valid, 1 with every problem
                                   (an env:NAME whose variable is unset here is a problem)
  bounded policy show [FILE]       Print the effective policy after defaults and overlays
                                   (passwords in connection strings and URLs print as ****)

Options:
  --policy FILE   The policy file (default: BOUNDED_POLICY, else the nearest ${POLICY_FILE_NAME})
  --env NAME      The overlay to apply (default: BOUNDED_ENV, else NODE_ENV)
  --json          show: print JSON instead of YAML
  --force         init: overwrite an existing file
  --allow-unset-env
                  validate: accept env:NAME references whose variable is unset here
                  (a CI job that checks the file without the service's secrets)
`;

export function policyCommand(args: readonly string[], io: Io, cwd = process.cwd()): Promise<number> {
  return Promise.resolve(runPolicy(args, io, cwd));
}

function runPolicy(args: readonly string[], io: Io, cwd: string): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        policy: { type: 'string' },
        env: { type: 'string' },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
        'allow-unset-env': { type: 'boolean' },
      },
    });
  } catch (error) {
    io.stderr.write(`bounded policy: ${(error as Error).message}\n\n${POLICY_USAGE}`);
    return 2;
  }
  const [action, file, ...extra] = parsed.positionals;
  if (extra.length > 0) {
    io.stderr.write(`bounded policy: unexpected arguments: ${extra.join(' ')}\n\n${POLICY_USAGE}`);
    return 2;
  }
  const path = file ?? parsed.values.policy;
  switch (action) {
    case 'init':
      return init(resolve(cwd, path ?? POLICY_FILE_NAME), parsed.values.force === true, io);
    case 'validate':
      return validate(path, parsed.values.env, parsed.values['allow-unset-env'] !== true, cwd, io);
    case 'show':
      return show(path, parsed.values.env, parsed.values.json === true, cwd, io);
    default:
      io.stderr.write(`bounded policy: ${action === undefined ? 'missing action' : `unknown action "${action}"`}\n\n${POLICY_USAGE}`);
      return 2;
  }
}

function init(file: string, force: boolean, io: Io): number {
  if (existsSync(file) && !force) {
    io.stderr.write(`bounded policy init: ${file} already exists; not overwriting it (use --force to replace it)\n`);
    return 1;
  }
  try {
    // 'wx' refuses to clobber a file that appeared since the check.
    writeFileSync(file, STARTER_POLICY, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    io.stderr.write(`bounded policy init: cannot write ${file}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`Wrote ${file}\n`);
  return 0;
}

function load(
  path: string | undefined,
  environment: string | undefined,
  cwd: string,
  io: Io,
  verb: string,
  requireEnv: boolean,
): Policy | undefined {
  try {
    return loadPolicy({ path, cwd, environment, requireEnv });
  } catch (error) {
    if (error instanceof PolicyError) {
      io.stderr.write(`${error.problems.map(formatProblem).join('\n')}\n`);
      io.stderr.write(
        `bounded policy ${verb}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in ${error.file}\n`,
      );
      return undefined;
    }
    throw error;
  }
}

function validate(path: string | undefined, environment: string | undefined, requireEnv: boolean, cwd: string, io: Io): number {
  const file = resolvePolicyPath({ path, cwd });
  if (file === undefined) {
    io.stderr.write(`bounded policy validate: no ${POLICY_FILE_NAME} here or above ${cwd}; the embedded defaults apply\n`);
    return 1;
  }
  // Validates what the runtime would load here: an env:NAME reference must name a set variable.
  const policy = load(path, environment, cwd, io, 'validate', requireEnv);
  if (policy === undefined) return 1;
  for (const note of unsetReferences(policy)) io.stderr.write(`note: ${note} is not set in this environment\n`);
  io.stdout.write(`${file}: valid${policy.environment === undefined ? '' : ` (environment: ${policy.environment})`}\n`);
  return 0;
}

function show(path: string | undefined, environment: string | undefined, json: boolean, cwd: string, io: Io): number {
  const policy = load(path, environment, cwd, io, 'show', false);
  if (policy === undefined) return 1;
  for (const note of unsetReferences(policy)) io.stderr.write(`note: ${note} is not set in this environment\n`);
  // Infinity has no JSON or YAML spelling that reads back the same; show it as a word. Every
  // string goes through maskSecrets: connection strings and URLs print without their passwords.
  const plain = JSON.parse(
    JSON.stringify(policy, (_key, value: unknown) =>
      value === Number.POSITIVE_INFINITY ? 'unbounded' : typeof value === 'string' ? maskSecrets(value) : value,
    ),
  ) as unknown;
  io.stdout.write(json ? `${JSON.stringify(plain, null, 2)}\n` : stringify(plain));
  return 0;
}

/** "pools.main.connectionString: env:DATABASE_URL" for each reference whose variable is unset. */
function unsetReferences(policy: Policy): string[] {
  const notes: string[] = [];
  for (const [name, pool] of Object.entries(policy.pools)) {
    if (pool.connectionString === undefined && pool.connectionStringRef !== undefined)
      notes.push(`pools.${name}.connectionString: ${pool.connectionStringRef}`);
  }
  for (const [name, client] of Object.entries(policy.http)) {
    if (client.baseUrl === undefined && client.baseUrlRef !== undefined) notes.push(`http.${name}.baseUrl: ${client.baseUrlRef}`);
  }
  const limits: [string, { readonly store?: StorePolicy | undefined }][] = [
    ...Object.entries(policy.semaphores).map(([name, entry]): [string, SemaphorePolicy] => [`semaphores.${name}`, entry]),
    ...Object.entries(policy.rateLimits).map(([name, entry]): [string, RateLimitPolicy] => [`rateLimits.${name}`, entry]),
  ];
  for (const [where, { store }] of limits) {
    if (store !== undefined && store.url === undefined && store.urlRef !== undefined) notes.push(`${where}.store.url: ${store.urlRef}`);
  }
  return notes;
}
