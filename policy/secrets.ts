/**
 * Secrets out of anything bounded prints: connection strings and URLs in `bounded policy show`,
 * in policy problems, in runtime errors and reports. One function, so every place hides the
 * same things the same way.
 */

/** What a hidden secret prints as. */
export const MASK = '****';

// scheme://user:password@ — the password is everything up to the last @ before the host.
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#]*@/gi;
// key=value pairs whose key names a secret: URL query parameters (?password=…&sslpassword=…,
// ?access_token=…, X-Amz-Signature=…) and libpq keyword/value strings (host=db password='p w').
const SECRET_PAIR = /(^|[\s?&;])([\w.-]*(?:pass|pwd|secret|token|key|auth|credential|sig)[\w.-]*)=('(?:[^'\\]|\\.)*'|[^\s&;#]*)/gi;

/**
 * `text` with every password and secret-named parameter replaced by `****`, the rest as it was:
 * `postgres://app:s3cret@db:5432/app?sslmode=require` → `postgres://app:****@db:5432/app?sslmode=require`.
 */
export function maskSecrets(text: string): string {
  return text.replace(USERINFO, `$1:${MASK}@`).replace(SECRET_PAIR, (_match, before: string, key: string) => `${before}${key}=${MASK}`);
}

/** host:port of a connection string, for naming it in a message; nothing else of it is shown. */
export function describeConnection(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}`;
  } catch {
    return '(connection string)';
  }
}
