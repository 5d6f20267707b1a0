// Errors a tool can raise, and how any error becomes a tool result.
//
// ToolError: something the caller (the model) can fix or should know: a message and a hint.
// Anything else is unexpected: logged with its stack on stderr, returned as a short message that
// carries no secret and no internal detail.
import type { z } from 'zod';

export type ToolErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'access_denied'
  | 'already_exists'
  | 'too_large'
  | 'timeout'
  | 'cancelled'
  | 'rate_limited'
  | 'missing_credentials'
  | 'remote_error'
  | 'unavailable'
  | 'read_only'
  | 'conflict'
  | 'outcome_unknown'
  | 'failed';

export interface ToolErrorOptions {
  hint?: string;
  code?: ToolErrorCode;
  /** Extra machine-readable detail returned to the caller (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ToolError extends Error {
  readonly hint?: string;
  readonly code: ToolErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(message: string, opts: ToolErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ToolError';
    this.hint = opts.hint;
    this.code = opts.code ?? 'failed';
    this.details = opts.details;
  }
}

export const isToolError = (e: unknown): e is ToolError => e instanceof ToolError;

/** One line per failing field: `path.to.field: message`. */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(arguments)';
    return `${path}: ${issue.message}`;
  });
}

export function zodToToolError(error: z.ZodError, what = 'Invalid arguments'): ToolError {
  const lines = formatZodIssues(error);
  return new ToolError(`${what}:\n${lines.map((l) => `- ${l}`).join('\n')}`, {
    code: 'invalid_argument',
    hint: 'Fix the listed fields and call again.',
    details: { issues: error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })) },
  });
}

/** Node system errors (ENOENT, EACCES, …) → ToolError with a message that names no outside path. */
export function systemErrorToToolError(err: NodeJS.ErrnoException, shownPath?: string): ToolError | undefined {
  const where = shownPath ? `: ${shownPath}` : '';
  switch (err.code) {
    case 'ENOENT':
      return new ToolError(`Not found${where}`, { code: 'not_found' });
    case 'EEXIST':
      return new ToolError(`Already exists${where}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it, or choose another name.' });
    case 'EACCES':
    case 'EPERM':
      return new ToolError(`Permission denied by the operating system${where}`, { code: 'access_denied' });
    case 'EISDIR':
      return new ToolError(`Is a directory${where}`, { code: 'invalid_argument' });
    case 'ENOTDIR':
      return new ToolError(`Not a directory${where}`, { code: 'invalid_argument' });
    case 'ENOTEMPTY':
      return new ToolError(`Directory not empty${where}`, { code: 'conflict', hint: 'Pass recursive: true to delete a directory and its contents.' });
    case 'ENAMETOOLONG':
      return new ToolError('Path too long', { code: 'invalid_argument' });
    case 'ELOOP':
      return new ToolError(`Too many levels of symbolic links${where}`, { code: 'access_denied' });
    case 'ENOSPC':
      return new ToolError('No space left on device', { code: 'unavailable' });
    default:
      return undefined;
  }
}

/**
 * The one error for "this tool needs settings or credentials that are not set" (code
 * `missing_credentials`), in every server: it names each variable and says where to get it. The
 * server still starts and lists its tools; only the calls that need the setting fail.
 */
export function missingCredentials(opts: {
  /** What cannot work, e.g. "Stripe" or "Downloads". */
  what: string;
  /** The variables to set, e.g. ["STRIPE_SECRET_KEY"]; an entry may name alternatives ("A (or B)"). */
  vars: string[];
  /** Where to get the value or how to set it (one or two sentences). */
  how: string;
  /** An auth command that stores a credential instead, e.g. "bizmcp-google auth". */
  command?: string;
}): ToolError {
  const set = opts.command ? `run \`${opts.command}\` or set ${opts.vars.join(', ')}` : `set ${opts.vars.join(', ')}`;
  return new ToolError(`${opts.what} is not configured: ${set} in the server's environment.`, {
    code: 'missing_credentials',
    hint: opts.how,
    details: { missing: opts.vars, ...(opts.command ? { command: opts.command } : {}) },
  });
}
