import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { tempDir } from '../helpers/temp.js';

/** A real folder in the system's temp directory holding `files` (path → text). */
export function project(files: Record<string, string>): string {
  const root = tempDir('bounded-check-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** `bounded check …` through the CLI's entry point, in `cwd`. */
export async function bounded(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await main(['check', ...args], io, cwd);
  return { code, stdout, stderr };
}

export interface JsonResult {
  filePath: string;
  errorCount: number;
  messages: { ruleId: string | null; message: string; line: number; fatal?: boolean }[];
}
