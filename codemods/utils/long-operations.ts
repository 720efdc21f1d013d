/**
 * Long operations: uploads, downloads, streams, image pulls and installer runs, and any call
 * marked `// bounded: long`. The policy's HTTP and model deadlines (60 s by default) are sized
 * for a request and its answer; put on one of these, they cut off a transfer that was going
 * well. add-timeouts reports them for review instead of rewriting them, and leaves alone a
 * shared client (`axios.create`, a module-level SDK client) whose calls include one.
 */
import type * as K from 'ast-types/gen/kinds.js';

/** The comment that marks a call long, on its line or the line above: `// bounded: long` (or `/* bounded: long *\/`). */
export const LONG_MARKER = /\bbounded:\s*long\b/;

/** Method and function names that move a body of unknown size or wait for one: the last segment of the callee. */
const LONG_NAME = /^(?:upload\w*|download\w*|stream\w*|pipeline|pull\w*|install\w*|createReadStream|sendFile|transcribe\w*)$/i;
/** Whole callee paths (their last segments) that upload: SDK file and upload resources. */
const LONG_PATH =
  /(?:^|\.)(?:files\.(?:create|upload\w*)|uploads\.\w+|fineTuning\.jobs\.create|vectorStores\.files\.upload\w*|fileBatches\.upload\w*)$/;
/** Option keys whose presence says the call streams or transfers a body. */
const LONG_KEYS: Readonly<Record<string, string>> = {
  onUploadProgress: 'an upload (onUploadProgress)',
  onDownloadProgress: 'a download (onDownloadProgress)',
  duplex: 'a streamed request body (duplex)',
  maxContentLength: 'a download sized by maxContentLength',
  maxBodyLength: 'an upload sized by maxBodyLength',
};

/** The `const` initializer a name stands for at the call, if the caller can tell. */
export type InitOf = (name: string) => K.ExpressionKind | undefined;

const nameOf = (node: unknown): string | undefined => {
  const typed = node as { type?: string; name?: string; value?: unknown };
  if (typed.type === 'Identifier') return typed.name;
  if (typed.type === 'StringLiteral' && typeof typed.value === 'string') return typed.value;
  return undefined;
};

/** Why the callee's name says long (an upload, a download…), if it does. */
export function longCallee(callee: string | undefined): string | undefined {
  if (callee === undefined) return undefined;
  if (LONG_PATH.test(callee)) return `an upload (${callee})`;
  const last = callee.slice(callee.lastIndexOf('.') + 1);
  return LONG_NAME.test(last) ? `a long operation by its name (${callee})` : undefined;
}

/** Why a value passed to the call makes it long (a FormData or stream body, `responseType: 'stream'`, `stream: true`), if it does. */
export function longValue(node: unknown, initOf: InitOf, depth = 0): string | undefined {
  if (depth > 3 || node === null || typeof node !== 'object') return undefined;
  const value = node as K.ExpressionKind;
  switch (value.type) {
    case 'NewExpression': {
      const name = nameOf(value.callee);
      return name === 'FormData' || name === 'Blob' || name === 'File' ? `an upload (a ${name} body)` : undefined;
    }
    case 'CallExpression': {
      const callee = value.callee;
      const name = callee.type === 'MemberExpression' ? nameOf(callee.property) : nameOf(callee);
      if (name === 'createReadStream' || name === 'openAsBlob' || name === 'toFile') return `an upload (a ${name}() body)`;
      if (name === 'from' && callee.type === 'MemberExpression' && /^Readable$/.test(nameOf(callee.object) ?? ''))
        return 'a streamed body (Readable.from)';
      return undefined;
    }
    case 'Identifier': {
      const init = initOf(value.name);
      return init === undefined || init === value ? undefined : longValue(init, initOf, depth + 1);
    }
    case 'ObjectExpression':
      for (const property of value.properties) {
        if (property.type !== 'ObjectProperty' && property.type !== 'Property') continue;
        const key = property.computed === true ? undefined : nameOf(property.key);
        if (key === undefined) continue;
        const inner = property.value as { type: string; value?: unknown };
        if (key in LONG_KEYS) return LONG_KEYS[key];
        if (key === 'responseType' && (inner.value === 'stream' || inner.value === 'arraybuffer' || inner.value === 'blob'))
          return `a download (responseType: '${String(inner.value)}')`;
        if (key === 'stream' && inner.type === 'BooleanLiteral' && inner.value === true) return 'a streamed response (stream: true)';
        if (key === 'body' || key === 'data' || key === 'file' || key === 'files') {
          const reason = longValue(inner, initOf, depth + 1);
          if (reason !== undefined) return reason;
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Whether `line` (1-based) of `text`, or the line above it, carries the `bounded: long` marker. */
export function markedLong(text: string, line: number): boolean {
  let start = 0;
  for (let at = 1; at < line - 1; at++) {
    const next = text.indexOf('\n', start);
    if (next === -1) return false;
    start = next + 1;
  }
  let end = start;
  for (let count = 0; count < (line === 1 ? 1 : 2); count++) {
    const next = text.indexOf('\n', end);
    end = next === -1 ? text.length : next + 1;
  }
  return LONG_MARKER.test(text.slice(start, end));
}

/**
 * Why `call` is a long operation, if it is: marked `bounded: long`, named like one, or given a
 * body or option that makes it one. `callee` is the callee's dotted text.
 */
export function longOperation(
  text: string,
  call: K.CallExpressionKind | K.NewExpressionKind,
  callee: string | undefined,
  initOf: InitOf,
): string | undefined {
  const line = call.loc?.start.line;
  if (line !== undefined && markedLong(text, line)) return 'marked long (a `bounded: long` comment)';
  const byName = longCallee(callee);
  if (byName !== undefined) return byName;
  for (const argument of call.arguments) {
    const reason = longValue(argument, initOf);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
