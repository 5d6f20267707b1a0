// Configuration: each server declares the environment variables and flags it reads; core parses
// argv with node:util parseArgs (strict), handles the common flags, and turns any mistake into one
// clear line on stderr and exit code 1 (never a stack trace).
import { parseArgs } from 'node:util';
import { z } from 'zod';
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
  'log-level': { type: 'string', description: 'stderr log level: trace, debug, info, warn, error, fatal, silent (default info, or LOG_LEVEL).' },
};

export const COMMON_ENV: Record<string, EnvSpec> = {
  LOG_LEVEL: { description: 'stderr log level (trace … fatal, silent). Default info.', example: 'debug' },
  REDIS_URL: { description: 'Share rate limits between server processes through Redis.', example: 'redis://127.0.0.1:6379', secret: true },
  BIZMCP_TIMEOUT_MS: { description: 'Default timeout of every tool call in ms (each tool may have its own; BIZMCP_TIMEOUT_MS_<TOOL> overrides one tool).', example: '30000' },
  BIZMCP_RATE_LIMIT: { description: 'Default rate limit of every tool, CALLS/SECONDS (BIZMCP_RATE_LIMIT_<TOOL> for one tool).', example: '120/60' },
  BIZMCP_HTTP_TOKEN: { description: 'With --http: bearer token every HTTP request must carry.', secret: true },
  BIZMCP_HTTP_ALLOWED_ORIGINS: { description: 'With --http: comma-separated browser origins allowed to call the server.', example: 'http://localhost:5173' },
};

export interface CommonConfig {
  readOnly: boolean;
  toolsets?: string[];
  tools?: string[];
  excludeTools: string[];
  http?: { host: string; port: number; token?: string; allowedOrigins: string[] };
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
const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

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
    http = { host: String(f.host ?? '127.0.0.1'), port, token: p.env.BIZMCP_HTTP_TOKEN || undefined, allowedOrigins: list(p.env.BIZMCP_HTTP_ALLOWED_ORIGINS) };
  } else if (f.port !== undefined || f.host !== undefined) {
    throw new ConfigError('--host and --port only apply with --http');
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
  const lines = [
    `${def.bin} ${def.version} — ${def.title}`,
    '',
    def.description,
    '',
    `Usage: ${def.bin} [options]${def.positionals ? ` [${def.positionals.name}...]` : ''}`,
    '',
  ];
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
