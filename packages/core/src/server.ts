// The server runtime: turns a server definition (its config, tools, resources, prompts and state)
// into an SDK `Server` with our rules applied to every call: argument validation listed per field,
// rate limits, timeouts and cancellation joined in one AbortSignal, progress notifications,
// errors rendered as `isError` results, secrets masked, metrics, and logging to stderr + MCP.
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { COMMON_ENV, ConfigError, commonConfig, parseArgv, type CommonConfig, type EnvSpec, type OptionSpec, type ParsedArgs } from './config.js';
import { isToolError, ToolError, zodToToolError } from './errors.js';
import { DEFAULT_TIMEOUT_MS, parseRateLimit, RateLimiters, rateLimitEnvName, timeoutEnvName, type RateLimit } from './limits.js';
import { createLogHub, MCP_LEVELS, type LogHub, type McpLogLevel } from './logging.js';
import { Metrics } from './metrics.js';
import { redact, redactString, registerEnvSecrets, registerSecret } from './redact.js';
import { isReadOnlyTool, isRichResult, type ContentBlock, type PromptDef, type ResourceTemplateDef, type ToolContext, type ToolDef } from './tool.js';

export interface ServerDef<C = any, S = any> {
  /** Short name: "filesystem" → binary bizmcp-filesystem. */
  name: string;
  version: string;
  title: string;
  description: string;
  /** Sent to clients in `initialize` (how to use this server well). */
  instructions?: string;
  env: Record<string, EnvSpec>;
  options?: Record<string, OptionSpec>;
  positionals?: { name: string; description: string };
  /** Reads the server's own settings; throw ConfigError (or use parseWith) for a bad value. */
  parseConfig(args: ParsedArgs, common: CommonConfig): C;
  tools: ToolDef<S>[] | ((config: C) => ToolDef<S>[]);
  resources?: ResourceTemplateDef<S>[] | ((config: C) => ResourceTemplateDef<S>[]);
  prompts?: PromptDef<S>[] | ((config: C) => PromptDef<S>[]);
  /** Creates the server's state. Must be cheap and synchronous: slow work (connecting, opening a
   *  database, launching a browser) starts here as a promise or waits for the first call. */
  setup(config: C, rt: Runtime): S;
  /** Releases what setup created (pools, browsers, timers). Bounded by the 2 s shutdown budget. */
  close?(state: S): Promise<void>;
}

export function defineServer<C, S>(def: ServerDef<C, S>): ServerDef<C, S> {
  return def;
}

export interface Runtime {
  name: string;
  log: Logger;
  common: CommonConfig;
  /** Aborted when the server shuts down. */
  shutdownSignal: AbortSignal;
  /** Called with the client's root URIs after initialization and whenever they change (only when
   *  the client supports roots). */
  onClientRoots(listener: (uris: string[]) => void | Promise<void>): void;
  /** Resolves once the client's roots (if it offers any) have been applied; `undefined` when it has none. */
  clientRootsReady(): Promise<string[] | undefined>;
  /** Runs `fn` once the client has finished initializing (after `initialize` was answered): the
   *  place to start slow background work without delaying the handshake. */
  onInitialized(fn: () => void): void;
}

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
  /** A new SDK Server bound to this state (one per connection/session). */
  createSession(): Server;
  close(): Promise<void>;
}

export interface BuildOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default: stderr). */
  logStream?: { write(s: string): unknown };
}

export function binName(def: Pick<ServerDef, 'name'>): string {
  return `bizmcp-${def.name}`;
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
  const tools = selectTools(typeof def.tools === 'function' ? def.tools(config) : def.tools, common);
  const resources = typeof def.resources === 'function' ? def.resources(config) : (def.resources ?? []);
  const prompts = typeof def.prompts === 'function' ? def.prompts(config) : (def.prompts ?? []);

  const shutdown = new AbortController();
  const rootListeners: ((uris: string[]) => void | Promise<void>)[] = [];
  const initListeners: (() => void)[] = [];
  let initialized = false;
  let rootsApplied: Promise<void> | undefined;
  let resolveRoots: (v: string[] | undefined) => void = () => {};
  const rootsReady = new Promise<string[] | undefined>((r) => (resolveRoots = r));
  let rootsSettled = false;

  const runtime: Runtime = {
    name: def.name,
    log,
    common,
    shutdownSignal: shutdown.signal,
    onClientRoots: (l) => void rootListeners.push(l),
    clientRootsReady: () => rootsReady,
    onInitialized: (fn) => void initListeners.push(fn),
  };

  const metrics = new Metrics(def.name);
  const limiters = new RateLimiters({ redisUrl: common.redisUrl, prefix: `bizmcp:${def.name}`, log });
  const state = def.setup(config, runtime);

  // ---- per-tool settings, computed once ----
  const prepared = new Map<string, Prepared<S>>();
  // JSON Schemas are rendered at the first tools/list, not before `initialize` is answered.
  let listed: Tool[] | undefined;
  for (const t of tools) {
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
    prepared.set(t.name, { tool: t, timeoutMs, rateLimit });
  }

  // Calls in flight, so shutdown can abort them.
  const active = new Set<CallControl>();

  const callTool = async (name: string, rawArgs: unknown, extra: CallExtra): Promise<CallToolResult> => {
    const p = prepared.get(name);
    if (!p) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${String(name).slice(0, 100)}`);
    const started = performance.now();
    const { tool } = p;
    let childLog: Logger | undefined;
    const getLog = () => (childLog ??= log.child({ tool: tool.name, requestId: extra.requestId }));
    let control: CallControl | undefined;
    let ok = false;
    try {
      const parsed = tool.input.safeParse(rawArgs ?? {});
      if (!parsed.success) throw zodToToolError(parsed.error);
      if (p.rateLimit) await limiters.consume(`${def.name}:${tool.name}`, p.rateLimit);
      if (shutdown.signal.aborted) throw new ToolError('The server is shutting down', { code: 'cancelled' });

      control = new CallControl(p.timeoutMs, tool.name, extra.signal);
      active.add(control);
      const ctx = new CallContext<S>(control, state, tool.name, extra, getLog);
      const result = await control.race(tool.run(parsed.data, ctx));
      ok = true;
      return renderResult(tool, result);
    } catch (err) {
      return renderError(err, tool.name, getLog);
    } finally {
      if (control) {
        control.dispose();
        active.delete(control);
      }
      const ms = performance.now() - started;
      metrics.record(tool.name, ok, ms);
      if (childLog || log.levelVal <= 20) getLog().debug({ ms: Math.round(ms * 10) / 10, ok }, 'tool call');
    }
  };

  const createSession = (): Server => {
    const sdk = new Server(
      { name: binName(def), title: def.title, version: def.version },
      {
        capabilities: {
          tools: {},
          logging: {},
          ...(resources.length ? { resources: {} } : {}),
          ...(prompts.length ? { prompts: {} } : {}),
        },
        instructions: def.instructions,
      },
    );
    sdk.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: (listed ??= tools.map(toolListing)) }));
    sdk.setRequestHandler(CallToolRequestSchema, (req, extra) => callTool(req.params.name, req.params.arguments, extra as CallExtra));
    sdk.setRequestHandler(SetLevelRequestSchema, async (req) => {
      const level = req.params.level as McpLogLevel;
      if (!MCP_LEVELS.includes(level)) throw new McpError(ErrorCode.InvalidParams, `Unknown log level ${level}`);
      logHub.setMcpLevel(level);
      log.debug({ level }, 'client log level set');
      return {};
    });
    logHub.setMcpSink((level, logger, data) => {
      sdk.sendLoggingMessage({ level, logger, data }).catch(() => {});
    });

    if (resources.length) {
      sdk.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
        resourceTemplates: resources.map((r) => ({ name: r.name, title: r.title, uriTemplate: r.uriTemplate, description: r.description, mimeType: r.mimeType })),
      }));
      sdk.setRequestHandler(ListResourcesRequestSchema, async (_req, extra) => {
        const all = [];
        for (const r of resources) if (r.list) all.push(...(await r.list(state, { signal: extra.signal })));
        return { resources: all };
      });
      sdk.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
        const uri = req.params.uri;
        for (const r of resources) {
          const params = r.match(uri);
          if (!params) continue;
          try {
            return { contents: redact(await r.read(params, state, { signal: extra.signal, uri })) };
          } catch (err) {
            if (isToolError(err)) throw new McpError(err.code === 'not_found' ? -32002 : ErrorCode.InvalidParams, err.message);
            log.error({ err, uri }, 'resource read failed');
            throw new McpError(ErrorCode.InternalError, 'Internal error while reading the resource');
          }
        }
        throw new McpError(-32002, `Resource not found: ${uri.slice(0, 200)}`);
      });
    }
    if (prompts.length) {
      sdk.setRequestHandler(ListPromptsRequestSchema, async () => ({
        prompts: prompts.map((p) => ({ name: p.name, title: p.title, description: p.description, arguments: p.arguments })),
      }));
      sdk.setRequestHandler(GetPromptRequestSchema, async (req) => {
        const p = prompts.find((x) => x.name === req.params.name);
        if (!p) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${req.params.name}`);
        const args = req.params.arguments ?? {};
        for (const a of p.arguments) if (a.required && !args[a.name]) throw new McpError(ErrorCode.InvalidParams, `Missing required argument: ${a.name}`);
        return p.get(args, state);
      });
    }

    // MCP roots: fetched after initialization and on every list_changed notification.
    const refreshRoots = async () => {
      if (!sdk.getClientCapabilities()?.roots) {
        if (!rootsSettled) ((rootsSettled = true), resolveRoots(undefined));
        return;
      }
      try {
        const res = await sdk.listRoots(undefined, { timeout: 5000 });
        const uris = res.roots.map((r) => r.uri);
        for (const l of rootListeners) await l(uris);
        if (!rootsSettled) ((rootsSettled = true), resolveRoots(uris));
        log.info({ roots: uris.length }, 'client roots applied');
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not read the client roots');
        if (!rootsSettled) ((rootsSettled = true), resolveRoots(undefined));
      }
    };
    sdk.oninitialized = () => {
      rootsApplied = refreshRoots();
      if (!initialized) {
        initialized = true;
        for (const fn of initListeners) {
          try {
            fn();
          } catch (err) {
            log.error({ err }, 'start-up work failed');
          }
        }
      }
    };
    sdk.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      rootsApplied = refreshRoots();
      await rootsApplied;
    });
    return sdk;
  };

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      const reason = new ToolError('The server is shutting down', { code: 'cancelled' });
      shutdown.abort(reason);
      for (const c of active) c.abort(reason);
      logHub.setMcpSink(undefined);
      await Promise.allSettled([def.close?.(state), limiters.close()]);
      const summary = metrics.summary();
      if (Object.keys(summary).length) log.info({ calls: summary }, 'shutdown');
    })());


  return { def, config, common, state, tools, log, logHub, metrics, runtime, createSession, close };
}

// ---------------------------------------------------------------------------------------------

interface Prepared<S> {
  tool: ToolDef<S>;
  timeoutMs: number;
  rateLimit?: RateLimit;
}

interface CallExtra {
  signal: AbortSignal;
  requestId: string | number;
  _meta?: { progressToken?: string | number };
  sendNotification(n: { method: string; params: Record<string, unknown> }): Promise<void>;
}

function selectTools<S>(all: ToolDef<S>[], common: CommonConfig): ToolDef<S>[] {
  const names = new Set(all.map((t) => t.name));
  for (const n of [...(common.tools ?? []), ...common.excludeTools]) {
    if (!names.has(n)) throw new ConfigError(`unknown tool "${n}" in --tools/--exclude-tools; this server has: ${[...names].join(', ')}`);
  }
  return all.filter(
    (t) =>
      (!common.readOnly || isReadOnlyTool(t)) &&
      (!common.tools || common.tools.includes(t.name)) &&
      !common.excludeTools.includes(t.name),
  );
}

const jsonSchemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();
/** JSON Schema of a zod schema, without the $schema key (smaller tools/list). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const cached = io === 'input' ? jsonSchemaCache.get(schema) : undefined;
  if (cached) return cached;
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  if (io === 'input') jsonSchemaCache.set(schema, js);
  return js;
}

function toolListing(t: ToolDef): Tool {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: toJsonSchema(t.input, 'input') as Tool['inputSchema'],
    outputSchema: toJsonSchema(t.output, 'output') as Tool['outputSchema'],
    annotations: { title: t.title, ...t.annotations },
  };
}

function renderResult(tool: ToolDef, result: unknown): CallToolResult {
  let structured: unknown = result;
  let text: string | undefined;
  let extra: ContentBlock[] | undefined;
  if (isRichResult(result)) {
    structured = result.structured;
    text = result.text;
    extra = result.content;
  }
  structured = redact(structured);
  if (text === undefined) text = tool.text ? tool.text(structured as never) : JSON.stringify(structured);
  else text = redact(text);
  const content: ContentBlock[] = [{ type: 'text', text }];
  if (extra) content.push(...extra);
  return { content, structuredContent: structured as Record<string, unknown> } as CallToolResult;
}

function renderError(err: unknown, toolName: string, getLog: () => Logger): CallToolResult {
  if (isToolError(err)) {
    const lines = [err.message];
    if (err.hint) lines.push(`Hint: ${err.hint}`);
    if (err.code !== 'invalid_argument' && err.code !== 'not_found') getLog().info({ code: err.code, reason: err.message }, 'tool error');
    return {
      isError: true,
      content: [{ type: 'text', text: redactString(lines.join('\n')) }],
      _meta: { 'bizmcp/error': redact({ code: err.code, ...(err.details ? { details: err.details } : {}) }) },
    } as CallToolResult;
  }
  const id = randomUUID().slice(0, 8);
  getLog().error({ err, errorId: id }, 'unexpected tool failure');
  const name = err instanceof Error ? err.name : typeof err;
  return {
    isError: true,
    content: [{ type: 'text', text: `Internal error in ${toolName} (${name}, error id ${id}). The details are in the server's log.` }],
  };
}

/** What a tool's `run` receives. A class, so creating one per call is cheap; the AbortSignal and
 *  the child logger are made on first use. */
class CallContext<S> implements ToolContext<S> {
  constructor(
    private readonly control: CallControl,
    readonly state: S,
    readonly toolName: string,
    private readonly extra: CallExtra,
    private readonly getLog: () => Logger,
  ) {}

  get signal(): AbortSignal {
    return this.control.signal;
  }

  get log(): Logger {
    return this.getLog();
  }

  async progress(done: number, total?: number, message?: string): Promise<void> {
    const progressToken = this.extra._meta?.progressToken;
    if (progressToken === undefined || this.control.reason) return;
    await this.extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: done, total, message } }).catch(() => {});
  }

  checkAborted(): void {
    if (this.control.reason) throw this.control.reason;
  }
}

/**
 * One call's cancellation: the tool's timeout, the client's cancellation and server shutdown, joined.
 * `race` settles as soon as the work settles or the call is aborted, so a call whose work ignores
 * its signal still answers on time. The AbortSignal for the tool is created on first access only.
 */
class CallControl {
  reason: ToolError | undefined;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout;
  private reject: ((e: unknown) => void) | undefined;
  private readonly onClientAbort = () => this.abort(new ToolError('Cancelled by the client', { code: 'cancelled' }));

  constructor(
    timeoutMs: number,
    toolName: string,
    private readonly clientSignal: AbortSignal,
  ) {
    this.timer = setTimeout(
      () => this.abort(new ToolError(`${toolName} timed out after ${timeoutMs} ms`, { code: 'timeout', hint: `Narrow the request, or raise ${timeoutEnvName(toolName)}.` })),
      timeoutMs,
    );
    if (clientSignal.aborted) this.onClientAbort();
    else clientSignal.addEventListener('abort', this.onClientAbort, { once: true });
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: ToolError) {
    if (this.reason) return;
    this.reason = reason;
    clearTimeout(this.timer);
    this.controller?.abort(reason);
    this.reject?.(reason);
  }

  race<T>(work: Promise<T>): Promise<T> {
    if (this.reason) {
      work.catch(() => {});
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.reject = reject;
      work.then(resolve, (e) => reject(this.reason ?? e));
    });
  }

  dispose() {
    clearTimeout(this.timer);
    this.clientSignal.removeEventListener('abort', this.onClientAbort);
  }
}
