// The server runtime: turns a server definition (registry.ts) into a running server: parses its
// configuration, selects its tools, creates its state, resolves each tool's settings and links its
// call pipeline (pipeline.ts), and makes SDK sessions (session.ts) that share all of it.
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { COMMON_ENV, ConfigError, commonConfig, parseArgv, type CommonConfig } from './config.js';
import { ToolError } from './errors.js';
import { DEFAULT_TIMEOUT_MS, parseRateLimit, RateLimiters, rateLimitEnvName, timeoutEnvName, type RateLimit } from './limits.js';
import { createLogHub, type LogHub } from './logging.js';
import { Metrics } from './metrics.js';
import { OutcomeGuards } from './outcome.js';
import { type CallControl, chainFor, orderSteps, ToolCall, type CallExtra, type Next, type PipelineEnv, type ToolSettings } from './pipeline.js';
import { registerEnvSecrets, registerSecret } from './redact.js';
import { binName, enabledFor, selectTools, type Runtime, type ServerDef } from './registry.js';
import { createSession, type Session, type SessionHandle, type SessionOptions } from './session.js';
import type { ToolDef } from './tool.js';

export * from './registry.js';
export { CORE_STEPS, orderSteps } from './pipeline.js';
export type { PipelineStep, ToolCall, Next, ToolSettings } from './pipeline.js';
export type { Session, SessionHandle, SessionOptions, SessionTransport } from './session.js';

export interface BuiltServer<C = any, S = any> {
  def: ServerDef<C, S>;
  config: C;
  common: CommonConfig;
  state: S;
  tools: ToolDef<S>[];
  log: Logger;
  logHub: LogHub;
  metrics: Metrics;
  runtime: Runtime;
  /** A new session (its SDK Server in `.sdk`) bound to this state: one per connection. */
  createSession(opts?: SessionOptions): Session;
  close(): Promise<void>;
}

export interface BuildOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default: stderr). */
  logStream?: { write(s: string): unknown };
}

/** A tool's timeout and rate limit: its own defaults, the common defaults, then the environment. */
function toolSettings(t: ToolDef, common: CommonConfig, env: NodeJS.ProcessEnv): ToolSettings {
  const envTimeout = env[timeoutEnvName(t.name)];
  const timeoutMs = envTimeout ? Number(envTimeout) : (t.timeoutMs ?? common.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ConfigError(`invalid ${timeoutEnvName(t.name)} "${envTimeout}"`);
  let rateLimit: RateLimit | undefined = t.rateLimit ?? common.defaultRateLimit;
  const envRate = env[rateLimitEnvName(t.name)];
  if (envRate) {
    try {
      rateLimit = parseRateLimit(envRate);
    } catch (e) {
      throw new ConfigError(`${rateLimitEnvName(t.name)}: ${(e as Error).message}`);
    }
  }
  return { timeoutMs, rateLimit };
}

/** Parses config (throws ConfigError) and builds the server; nothing slow happens here. */
export function buildServer<C, S>(def: ServerDef<C, S>, opts: BuildOptions = {}): BuiltServer<C, S> {
  const env = opts.env ?? process.env;
  const args = parseArgv(opts.argv ?? [], env, def.options ?? {}, Boolean(def.positionals));
  if (!def.positionals && args.positionals.length) throw new ConfigError(`unexpected argument "${args.positionals[0]}" (see --help)`);
  const common = commonConfig(args);
  registerEnvSecrets(env);
  for (const [k, spec] of Object.entries({ ...def.env, ...COMMON_ENV })) if (spec.secret && env[k]) registerSecret(env[k]);

  const logHub = createLogHub({ name: binName(def), level: common.logLevel, stream: opts.logStream });
  const log = logHub.logger;
  const config = def.parseConfig(args, common);
  const tools = selectTools(def, config, common);
  const resources = enabledFor(def.resources, config);
  const prompts = enabledFor(def.prompts, config);

  const shutdown = new AbortController();
  const rootListeners: ((uris: string[], session: SessionHandle) => void | Promise<void>)[] = [];
  const initListeners: (() => void)[] = [];
  const closeListeners: (() => unknown)[] = [];
  let initialized = false;

  const runtime: Runtime = {
    name: def.name,
    log,
    common,
    shutdownSignal: shutdown.signal,
    onClientRoots: (l) => void rootListeners.push(l),
    onInitialized: (fn) => void initListeners.push(fn),
    onClose: (fn) => void closeListeners.push(fn),
  };

  const metrics = new Metrics(def.name);
  const limiters = new RateLimiters({ redisUrl: common.redisUrl, prefix: `bizmcp:${def.name}`, log });
  const state = def.setup(config, runtime);
  const active = new Set<CallControl>();
  const pipelineEnv: PipelineEnv<S> = { server: def.name, state, log, metrics, limiters, outcomes: new OutcomeGuards(), shutdownSignal: shutdown.signal, active };

  // Each tool's settings and pipeline chain, resolved once.
  const steps = orderSteps(def.steps);
  const prepared = new Map<string, { tool: ToolDef<S>; settings: ToolSettings; chain: Next }>();
  for (const t of tools) {
    const settings = toolSettings(t, common, env);
    prepared.set(t.name, { tool: t, settings, chain: chainFor(steps, t, settings) });
  }

  const callTool = (name: string, rawArgs: unknown, extra: CallExtra, session: SessionHandle): Promise<CallToolResult> => {
    const p = prepared.get(name);
    if (!p) return Promise.reject(new McpError(ErrorCode.InvalidParams, `Unknown tool: ${String(name).slice(0, 100)}`));
    return p.chain(new ToolCall(p.tool, p.settings, rawArgs, extra, pipelineEnv, session)) as Promise<CallToolResult>;
  };

  const clientRoots = {
    async apply(uris: string[], session: SessionHandle) {
      for (const l of rootListeners) await l(uris, session);
    },
    initialized() {
      if (initialized) return;
      initialized = true;
      for (const fn of initListeners) {
        try {
          fn();
        } catch (err) {
          log.error({ err }, 'start-up work failed');
        }
      }
    },
  };

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      const reason = new ToolError('The server is shutting down', { code: 'cancelled' });
      shutdown.abort(reason);
      for (const c of active) c.abort(reason);
      await Promise.allSettled([...closeListeners.map(async (fn) => fn()), limiters.close()]);
      const summary = metrics.summary();
      if (Object.keys(summary).length) log.info({ calls: summary }, 'shutdown');
    })());

  const host = { def, state, tools, resources, prompts, log, logHub, callTool, clientRoots };
  return { def, config, common, state, tools, log, logHub, metrics, runtime, createSession: (o) => createSession(host, o), close };
}
