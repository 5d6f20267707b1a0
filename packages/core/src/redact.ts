// Secret redaction shared by logs, errors and tool results.
//
// Two mechanisms: keys whose names look secret (password, token, authorization, api key, cookie…)
// have their values replaced wherever they appear in an object; and the literal values of secrets
// the process knows about (environment variables with secret-looking names, plus any value a server
// registers) are replaced inside every string. URL userinfo and secret query parameters are masked.

export const REDACTED = '[REDACTED]';

const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|authori[sz]ation|api[-_]?key|apikey|private[-_]?key|cookie|credential|session[-_]?id|client[-_]?secret|signature)$/i;
const SECRET_ENV = /(PASS(WORD)?|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH(ORIZATION)?|COOKIE|DATABASE_URL|REDIS_URL|_URL_WITH_AUTH)$/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(:[^\s/@]*)?@/gi;
const SECRET_QUERY = /([?&](?:api[-_]?key|apikey|key|token|access_token|auth|password|secret|sig|signature|client_secret)=)[^&#\s"']+/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;

const knownSecrets = new Set<string>();
let secretPattern: RegExp | undefined;

/** Remember a secret value so it is masked wherever it shows up (ignored when shorter than 4 chars). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4 || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  // Also mask the URL-encoded spelling, which is how secrets travel in URLs.
  const enc = encodeURIComponent(value);
  if (enc !== value) knownSecrets.add(enc);
  const sorted = [...knownSecrets].sort((a, b) => b.length - a.length);
  secretPattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

/** Register every environment variable whose name says it holds a secret. */
export function registerEnvSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(env)) {
    if (v && SECRET_ENV.test(k)) {
      registerSecret(v);
      // A connection string's password is a secret of its own.
      try {
        const u = new URL(v);
        if (u.password) registerSecret(decodeURIComponent(u.password));
      } catch {
        /* not a URL */
      }
    }
  }
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Masks known secret values; with `patterns` also URL credentials, secret query parameters and
 *  Authorization values (for logs and error messages, where no caller needs them). */
export function redactString(s: string, patterns = true): string {
  let out = s;
  if (secretPattern) {
    secretPattern.lastIndex = 0;
    out = out.replace(secretPattern, REDACTED);
  }
  if (!patterns) return out;
  if (out.includes('://')) out = out.replace(URL_USERINFO, (_m, scheme: string, user: string, pass?: string) => `${scheme}${pass ? `${user}:${REDACTED}` : REDACTED}@`);
  if (out.includes('=')) out = out.replace(SECRET_QUERY, `$1${REDACTED}`);
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(BEARER, `$1 ${REDACTED}`);
  return out;
}

/**
 * Deep copy of `value` with secrets masked; cycles are cut. For logs (`logs: true`) the values of
 * secret-looking keys and secret-looking patterns are masked too; tool results only lose the known
 * secret values (a link with `?key=` in a scraped page is data, not our secret).
 */
export function redact<T>(value: T, opts: { logs?: boolean } = {}): T {
  const logs = opts.logs === true;
  if (!logs && !secretPattern) return value;
  const seen = new WeakSet<object>();
  const walk = (v: unknown, key?: string): unknown => {
    if (logs && key !== undefined && SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '') return REDACTED;
    if (typeof v === 'string') return redactString(v, logs);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v as object)) return '[Circular]';
    seen.add(v as object);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return v;
    if (v instanceof Error) {
      return { name: v.name, message: redactString(v.message, logs), stack: v.stack ? redactString(v.stack, logs) : undefined };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, k);
    return out;
  };
  return walk(value) as T;
}

/** True when `s` contains a registered secret (used by tests and by result checks). */
export function containsKnownSecret(s: string): boolean {
  if (!secretPattern) return false;
  secretPattern.lastIndex = 0;
  return secretPattern.test(s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
