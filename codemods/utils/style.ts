/**
 * The file's own style for the code the transforms insert: semicolons or none, and the quote
 * its strings use. The transforms write their new code in one house style (semicolons, single
 * quotes); `applyEdits` hands each inserted text through `restyle`, which ends statements the
 * way the file does and quotes strings the way it does. Indentation and line endings are taken
 * from the file where the text is built (./pool-text.ts, ./text-edits.ts); trailing commas
 * follow the object or list they are added to (`addPropertyEdits`).
 *
 * A small scanner, not a parser: it tells strings, template literals, comments and regular
 * expressions apart from code well enough to count and to rewrite tokens, and is cheap enough
 * to run on every file a transform changes.
 */

export interface CodeStyle {
  /** Statements end with `;` (false: the file relies on automatic semicolon insertion, like Prettier's `semi: false`). */
  readonly semicolons: boolean;
  /** The quote string literals use. */
  readonly quote: "'" | '"';
}

/** The style the transforms write in; restyling to it changes nothing. */
export const HOUSE_STYLE: CodeStyle = { semicolons: true, quote: "'" };

type Kind = 'string' | 'template' | 'regex' | 'comment' | 'word' | 'number' | 'punct';

interface Token {
  readonly kind: Kind;
  readonly start: number;
  readonly end: number;
}

const WORD = /[\p{ID_Continue}$\u200c\u200d]/u;
/** Words after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
  'instanceof',
]);

/** The tokens of `text` (whitespace dropped). Never throws: an unterminated string or comment ends at the end of its line or of the text. */
function scan(text: string): Token[] {
  const tokens: Token[] = [];
  // What each open `{` is: a block, or the `${` of a template literal (whose `}` resumes the template).
  const braces: ('block' | 'template')[] = [];
  let at = 0;
  const push = (kind: Kind, start: number, end: number): void => {
    tokens.push({ kind, start, end });
    at = end;
  };
  /** Scans template characters from `from` up to its closing backtick or a `${`; returns where it stopped. */
  const templatePart = (from: number): number => {
    let index = from;
    while (index < text.length) {
      const char = text[index]!;
      if (char === '\\') index += 2;
      else if (char === '`') return index + 1;
      else if (char === '$' && text[index + 1] === '{') {
        braces.push('template');
        return index + 2;
      } else index++;
    }
    return text.length;
  };
  while (at < text.length) {
    const char = text[at]!;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    const start = at;
    const next = text[at + 1];
    if (char === '/' && next === '/') {
      const end = text.indexOf('\n', at);
      push('comment', start, end === -1 ? text.length : end);
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', at + 2);
      push('comment', start, end === -1 ? text.length : end + 2);
    } else if (char === "'" || char === '"') {
      let index = at + 1;
      while (index < text.length && text[index] !== char && text[index] !== '\n') index += text[index] === '\\' ? 2 : 1;
      push('string', start, Math.min(index + 1, text.length));
    } else if (char === '`') {
      push('template', start, templatePart(at + 1));
    } else if (char === '}' && braces.at(-1) === 'template') {
      braces.pop();
      push('template', start, templatePart(at + 1));
    } else if (char === '/' && regexAllowed(text, tokens.at(-1))) {
      let index = at + 1;
      let inClass = false;
      while (index < text.length && text[index] !== '\n') {
        const c = text[index]!;
        if (c === '\\') index++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        index++;
      }
      index++;
      while (index < text.length && WORD.test(text[index]!)) index++;
      push('regex', start, Math.min(index, text.length));
    } else if (/\d/.test(char) || (char === '.' && next !== undefined && /\d/.test(next))) {
      let index = at + 1;
      while (index < text.length && /[\w.]/.test(text[index]!)) index++;
      push('number', start, index);
    } else if (WORD.test(char) || char === '#' || char === '\\') {
      let index = at + 1;
      while (index < text.length && WORD.test(text[index]!)) index++;
      push('word', start, index);
    } else {
      if (char === '{') braces.push('block');
      else if (char === '}') braces.pop();
      push('punct', start, at + 1);
    }
  }
  return tokens;
}

function regexAllowed(text: string, previous: Token | undefined): boolean {
  if (previous === undefined) return true;
  if (previous.kind === 'word') return BEFORE_REGEX.has(text.slice(previous.start, previous.end));
  if (previous.kind !== 'punct') return previous.kind === 'comment';
  return !/[)\]]/.test(text[previous.start]!);
}

/** The significant tokens (no comments). */
const code = (tokens: readonly Token[]): Token[] => tokens.filter((token) => token.kind !== 'comment');

/** Tracks the open brackets: `(`, `[` and `{` push, their closers pop (a closer with nothing open is ignored). */
function nest(open: string[], char: string): void {
  if (char === '(' || char === '[' || char === '{') open.push(char);
  else if ((char === ')' || char === ']' || char === '}') && open.length > 0) open.pop();
}

/** Inside parentheses or brackets (a `for (;;)` head, an argument list), where a line end ends no statement; a block or object inside them starts statements again. */
const inList = (open: readonly string[]): boolean => open.length > 0 && open.at(-1) !== '{';

/** Characters a line may start with that continue the line before it (no `;` is inserted before them). */
const CONTINUES = /^[.?:+\-*/%&|^=<>,)\]]/;
/** Characters a line may start with that automatic semicolon insertion would join to the line before: keep a `;` before them. */
const ASI_HAZARD = /^[([`+\-/*]/;

/**
 * The file's style, counted from its tokens: a file whose statements end without `;` at least
 * four times as often as with one is semicolon-free; strings take the quote the file's module
 * specifiers use (after `from`, in `require()`), else the quote most of its strings use.
 */
export function styleOf(text: string): CodeStyle {
  const tokens = code(scan(text));
  let semis = 0;
  let bare = 0;
  const open: string[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    const char = text[token.start]!;
    if (token.kind === 'punct') nest(open, char);
    const following = tokens[index + 1];
    const lineEnds = following === undefined || text.slice(token.end, following.start).includes('\n');
    if (!lineEnds || inList(open)) continue;
    if (token.kind === 'punct' && char === ';') semis++;
    else if (token.kind !== 'punct' || char === ')' || char === ']') {
      const nextLine = following === undefined ? '' : text.slice(following.start, following.start + 1);
      if (!CONTINUES.test(nextLine) && !endsWithOperatorWord(text, token)) bare++;
    }
  }
  const semicolons = semis === 0 ? bare === 0 : semis * 4 >= bare;
  return { semicolons, quote: quoteOf(text, tokens) };
}

/** A line ending in a word that cannot end a statement (`return` can, `else`/`extends`/`=>` cannot). */
function endsWithOperatorWord(text: string, token: Token): boolean {
  if (token.kind !== 'word') return false;
  return /^(?:else|extends|implements|in|of|instanceof|new|typeof|keyof|as|satisfies|async|function|class|interface|type|enum|import|export|from|const|let|var|case|default|do|try|finally|catch|if|for|while|switch|with|await|yield|delete|void|readonly|declare|abstract|private|protected|public|static)$/.test(
    text.slice(token.start, token.end),
  );
}

function quoteOf(text: string, tokens: readonly Token[]): "'" | '"' {
  const counts = { "'": 0, '"': 0 };
  const fallback = { "'": 0, '"': 0 };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind !== 'string') continue;
    const quote = text[token.start] as "'" | '"';
    const body = text.slice(token.start + 1, token.end - 1);
    if (!body.includes(quote === "'" ? '"' : "'")) fallback[quote]++;
    const before = tokens[index - 1];
    const previous = before === undefined ? '' : text.slice(before.start, before.end);
    const beforeThat = tokens[index - 2];
    const call = beforeThat === undefined ? '' : text.slice(beforeThat.start, beforeThat.end);
    if (previous === 'from' || previous === 'import' || (previous === '(' && (call === 'require' || call === 'import'))) counts[quote]++;
  }
  const chosen = counts["'"] + counts['"'] > 0 ? counts : fallback;
  return chosen['"'] > chosen["'"] ? '"' : "'";
}

/** Tokens a string literal may follow and precede for `restyle` to requote it (code, not JSX text). */
const STRING_BEFORE = /^(?:[(,=:[{?+!&|;]|=>|return|from|import|case|in|of|typeof|await|\$\{)$/;
const STRING_AFTER = /^[),;\]}:+.?]$/;

/**
 * `fragment`, inserted before `following` (the rest of the file), written in `style`: a
 * single-quoted string that holds no `"` becomes double-quoted where the file uses double
 * quotes; where the file uses no semicolons, a `;` that ends a line is dropped unless the next
 * line starts with a character automatic semicolon insertion would join to it (`(`, `[`, `` ` ``…).
 * Text already in the style comes back unchanged (so restyling is idempotent).
 */
export function restyle(fragment: string, style: CodeStyle, following = ''): string {
  if (style.semicolons && style.quote === "'") return fragment;
  if (!fragment.includes(';') && !fragment.includes("'")) return fragment;
  const tokens = code(scan(fragment));
  const replacements: { start: number; end: number; text: string }[] = [];
  const open: string[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    const char = fragment[token.start]!;
    if (token.kind === 'punct') nest(open, char);
    if (style.quote === '"' && token.kind === 'string' && char === "'" && fragment[token.end - 1] === "'" && token.end - token.start >= 2) {
      const body = fragment.slice(token.start + 1, token.end - 1);
      const before = tokens[index - 1];
      const after = tokens[index + 1];
      const beforeText = before === undefined ? '(' : fragment.slice(before.start, before.end);
      const afterText = after === undefined ? ';' : fragment.slice(after.start, after.start + 1);
      if (!body.includes('"') && STRING_BEFORE.test(beforeText) && STRING_AFTER.test(afterText)) {
        replacements.push({ start: token.start, end: token.end, text: `"${body.replace(/\\'/g, "'")}"` });
      }
    }
    if (!style.semicolons && token.kind === 'punct' && char === ';' && !inList(open)) {
      const rest = fragment.slice(token.end) + following;
      const line = /^[ \t]*(?:\/\/[^\n]*)?(?:\r?\n|$)/.exec(rest);
      if (line === null) continue;
      const nextCode = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*/.exec(rest.slice(line[0].length))![0];
      const nextChar = rest.slice(line[0].length + nextCode.length, line[0].length + nextCode.length + 1);
      if (ASI_HAZARD.test(nextChar)) continue;
      replacements.push({ start: token.start, end: token.end, text: '' });
    }
  }
  let result = '';
  let at = 0;
  for (const replacement of replacements) {
    result += fragment.slice(at, replacement.start) + replacement.text;
    at = replacement.end;
  }
  return result + fragment.slice(at);
}
