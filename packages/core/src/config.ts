// Configuration: each server declares the environment variables and flags it reads; core parses
// argv with node:util parseArgs (strict), handles the common flags, and turns any mistake into one
// clear line on stderr and exit code 1 (never a stack trace).
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { formatZodIssues } from './errors.js';
import { parseRateLimit, type RateLimit } from './limits.js';

export interface EnvSpec {
  description: string;
  /** Holds a credential: never printed, masked in logs and results. */
  secret?: boolean;
  example?: string;
  default?: string;
}

export interface OptionSpec {
  type: 'boolean' | 'string';
  description: string;
  short?: string;
  multiple?: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** What every server accepts besides its own flags. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Print this help and exit.' },
  version: { type: 'boolean', short: 'v', description: 'Print the version and exit.' },
  'read-only': { type: 'boolean', description: 'Register only the tools that never change anything.' },
  toolsets: { type: 'string', description: 'Comma-separated toolsets to register, or "all" (default: the toolsets marked * below).' },
  tools: { type: 'string', description: 'Comma-separated list of the only tools to register (from any toolset).' },
  'exclude-tools': { type: 'string', description: 'Comma-separated list of tools not to register.' },
  http: { type: 'boolean', description: 'Serve Streamable HTTP instead of stdio (for shared deployments).' },
  host: { type: 'string', description: 'HTTP bind address (default 127.0.0.1).' },
  port: { type: 'string', description: 'HTTP port (default 3000).' },
  'no-auth': { type: 'boolean', description: 'With --http on a loopback address only: serve without BIZMCP_HTTP_TOKEN (explicit, never implied by an empty token).' },
  'log-level': { type: 'string', description: 'stderr log level: trace, debug, info, warn, error, fatal, silent (default info, or LOG_LEVEL).' },
};

export const COMMON_ENV: Record<string, EnvSpec> = {
  LOG_LEVEL: { description: 'stderr log level (trace … fatal, silent). Default info.', example: 'debug' },
  REDIS_URL: { description: 'Share rate limits between server processes through Redis.', example: 'redis://127.0.0.1:6379', secret: true },
  BIZMCP_TIMEOUT_MS: { description: 'Default timeout of every tool call in ms (each tool may have its own; BIZMCP_TIMEOUT_MS_<TOOL> overrides one tool).', example: '30000' },
  BIZMCP_RATE_LIMIT: { description: 'Default rate limit of every tool, CALLS/SECONDS (BIZMCP_RATE_LIMIT_<TOOL> for one tool).', example: '120/60' },
  BIZMCP_HTTP_TOKEN: {
    description:
      'With --http: bearer token every HTTP request must carry (at least 32 characters; several comma-separated tokens for several clients, each session bound to the token that opened it). Required unless --no-auth on loopback.',
    secret: true,
  },
  BIZMCP_HTTP_ALLOWED_ORIGINS: { description: 'With --http: comma-separated browser origins allowed to call the server (they get CORS).', example: 'http://localhost:5173' },
  BIZMCP_HTTP_ALLOWED_HOSTS: {
    description: 'With --http: comma-separated Host header values accepted besides loopback names (name or name:port; required when bound to 0.0.0.0 or ::).',
    example: 'mcp.example.com,mcp.example.com:8808',
  },
  BIZMCP_HTTP_MAX_SESSIONS: { description: 'With --http: most open sessions; one more is answered 503.', default: '100' },
  BIZMCP_HTTP_SESSION_IDLE_MS: { description: 'With --http: a session with no request (and no open stream) for this long is closed.', default: '900000' },
  BIZMCP_HTTP_MAX_BODY_BYTES: { description: 'With --http: largest request body; a larger one is answered 413.', default: '4194304' },
  BIZMCP_HTTP_MAX_JSON_DEPTH: { description: 'With --http: deepest nesting of arrays and objects in a request body.', default: '64' },
  BIZMCP_HTTP_STATELESS: { description: 'With --http: "true" for the stateless mode (no sessions: every POST stands alone; for load balancers without sticky sessions).', default: 'false' },
};

export interface HttpConfig {
  host: string;
  port: number;
  /** Accepted bearer tokens (empty only with --no-auth on loopback). */
  tokens: string[];
  allowedOrigins: string[];
  /** Accepted Host values besides loopback names and the bound address, lowercased (name or name:port). */
  allowedHosts: string[];
  maxSessions: number;
  sessionIdleMs: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  stateless: boolean;
}

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MIN_TOKEN = 32;

export interface CommonConfig {
  readOnly: boolean;
  toolsets?: string[];
  tools?: string[];
  excludeTools: string[];
  http?: HttpConfig;
  logLevel: string;
  redisUrl?: string;
  defaultTimeoutMs?: number;
  defaultRateLimit?: RateLimit;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  env: NodeJS.ProcessEnv;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function parseArgv(argv: string[], env: NodeJS.ProcessEnv, own: Record<string, OptionSpec>, allowPositionals: boolean): ParsedArgs {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [k, v] of Object.entries({ ...COMMON_OPTIONS, ...own })) {
    options[k] = { type: v.type };
    if (v.short) options[k].short = v.short;
    if (v.multiple) options[k].multiple = true;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { flags: values as ParsedArgs['flags'], positionals, env };
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

export function commonConfig(p: ParsedArgs): CommonConfig {
  const f = p.flags;
  const logLevel = String(f['log-level'] ?? p.env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`invalid log level "${logLevel}": use one of ${LOG_LEVELS.join(', ')}`);
  let http: CommonConfig['http'];
  if (f.http) {
    const port = Number(f.port ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`invalid --port "${f.port}"`);
    http = httpConfig(String(f.host ?? '127.0.0.1'), port, Boolean(f['no-auth']), p.env);
  } else if (f.port !== undefined || f.host !== undefined || f['no-auth']) {
    throw new ConfigError('--host, --port and --no-auth only apply with --http');
  }
  let defaultTimeoutMs: number | undefined;
  if (p.env.BIZMCP_TIMEOUT_MS) {
    defaultTimeoutMs = Number(p.env.BIZMCP_TIMEOUT_MS);
    if (!Number.isFinite(defaultTimeoutMs) || defaultTimeoutMs <= 0) throw new ConfigError(`invalid BIZMCP_TIMEOUT_MS "${p.env.BIZMCP_TIMEOUT_MS}": a number of milliseconds`);
  }
  let defaultRateLimit: RateLimit | undefined;
  if (p.env.BIZMCP_RATE_LIMIT) {
    try {
      defaultRateLimit = parseRateLimit(p.env.BIZMCP_RATE_LIMIT);
    } catch (e) {
      throw new ConfigError(`BIZMCP_RATE_LIMIT: ${(e as Error).message}`);
    }
  }
  return {
    readOnly: Boolean(f['read-only']),
    toolsets: f.toolsets !== undefined ? list(String(f.toolsets)) : undefined,
    tools: f.tools !== undefined ? list(String(f.tools)) : undefined,
    excludeTools: list(f['exclude-tools'] as string | undefined),
    http,
    logLevel,
    redisUrl: p.env.REDIS_URL || undefined,
    defaultTimeoutMs,
    defaultRateLimit,
  };
}

function httpConfig(host: string, port: number, noAuth: boolean, env: NodeJS.ProcessEnv): HttpConfig {
  const loopback = LOOPBACK_HOSTS.has(host);
  const rawToken = env.BIZMCP_HTTP_TOKEN;
  const tokens = list(rawToken);
  if (rawToken !== undefined && !tokens.length) {
    throw new ConfigError(`BIZMCP_HTTP_TOKEN is set but empty: set a token of at least ${MIN_TOKEN} characters (openssl rand -hex 24)${loopback ? ', or unset it and pass --no-auth' : ''}`);
  }
  if (tokens.some((t) => t.length < MIN_TOKEN)) throw new ConfigError(`BIZMCP_HTTP_TOKEN: each token must be at least ${MIN_TOKEN} characters (openssl rand -hex 24)`);
  if (tokens.length && noAuth) throw new ConfigError('--no-auth and BIZMCP_HTTP_TOKEN contradict each other: use one');
  if (!tokens.length && !noAuth) {
    throw new ConfigError(`--http needs BIZMCP_HTTP_TOKEN (at least ${MIN_TOKEN} characters)${loopback ? ', or --no-auth to serve this loopback address without one' : ''}`);
  }
  if (!tokens.length && !loopback) throw new ConfigError(`--host ${host} is not a loopback address: set BIZMCP_HTTP_TOKEN (--no-auth is for loopback only)`);
  const allowedHosts = list(env.BIZMCP_HTTP_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  if ((host === '0.0.0.0' || host === '::') && !allowedHosts.length) {
    throw new ConfigError(`--host ${host} accepts any address: set BIZMCP_HTTP_ALLOWED_HOSTS to the names clients use (e.g. mcp.example.com:${port || 3000})`);
  }
  const int = (name: string, def: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`invalid ${name} "${raw}": an integer from ${min} to ${max}`);
    return n;
  };
  const stateless = String(env.BIZMCP_HTTP_STATELESS ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0', ''].includes(stateless)) throw new ConfigError(`invalid BIZMCP_HTTP_STATELESS "${env.BIZMCP_HTTP_STATELESS}": true or false`);
  return {
    host,
    port,
    tokens,
    allowedOrigins: list(env.BIZMCP_HTTP_ALLOWED_ORIGINS),
    allowedHosts,
    maxSessions: int('BIZMCP_HTTP_MAX_SESSIONS', 100, 1, 100_000),
    sessionIdleMs: int('BIZMCP_HTTP_SESSION_IDLE_MS', 15 * 60_000, 1000, 7 * 24 * 3600_000),
    maxBodyBytes: int('BIZMCP_HTTP_MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 1024 ** 3),
    maxJsonDepth: int('BIZMCP_HTTP_MAX_JSON_DEPTH', 64, 8, 10_000),
    stateless: stateless === 'true' || stateless === '1',
  };
}

/** Parses `input` with a zod schema; failures become a ConfigError naming the field. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ConfigError(`${what}: ${formatZodIssues(r.error).join('; ')}`);
}

export function renderHelp(def: {
  bin: string;
  title: string;
  description: string;
  version: string;
  options: Record<string, OptionSpec>;
  env: Record<string, EnvSpec>;
  positionals?: { name: string; description: string };
  /** Extra sections (the toolsets and their tools). */
  sections?: string[][];
}): string {
  const opt = (name: string, o: OptionSpec) => {
    const left = `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`;
    return `${left.padEnd(34)} ${o.description}`;
  };
  const lines = [`${def.bin} ${def.version} — ${def.title}`, '', def.description, '', `Usage: ${def.bin} [options]${def.positionals ? ` [${def.positionals.name}...]` : ''}`, ''];
  if (def.positionals) lines.push('Arguments:', `  ${def.positionals.name.padEnd(32)} ${def.positionals.description}`, '');
  const own = Object.entries(def.options);
  if (own.length) lines.push('Options:', ...own.map(([k, v]) => opt(k, v)), '');
  lines.push('Common options:', ...Object.entries(COMMON_OPTIONS).map(([k, v]) => opt(k, v)), '');
  for (const section of def.sections ?? []) lines.push(...section, '');
  const envs = Object.entries({ ...def.env, ...COMMON_ENV });
  lines.push('Environment:', ...envs.map(([k, v]) => `  ${k.padEnd(32)} ${v.description}${v.default !== undefined ? ` Default: ${v.default}.` : ''}${v.secret ? ' (secret)' : ''}`), '');
  lines.push('stdout carries only MCP JSON-RPC; logs go to stderr.');
  return lines.join('\n') + '\n';
}
