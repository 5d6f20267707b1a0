// The session: one SDK `Server` per connection (one for stdio, one per client with --http), with the
// protocol handlers wired to the server's registry and call pipeline: tools/list, tools/call,
// logging/setLevel, resources, prompts, and the client's MCP roots.
//
// A session owns everything derived from its client: its roots (and, through them, the sandbox view
// a server keeps for it), its log sink and level. Nothing one client sends changes what another
// sees. Tools reach their session as `ctx.session`.
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
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
import type { Logger } from 'pino';
import { z } from 'zod';
import { isToolError } from './errors.js';
import { isJsonRpcMessage } from './stdio.js';
import { MCP_LEVELS, type LogHub, type McpLogLevel, type SessionLog } from './logging.js';
import type { CallExtra } from './pipeline.js';
import { redact } from './redact.js';
import { binName, toolListing, type ServerDef } from './registry.js';
import type { PromptDef, ResourceTemplateDef, ToolDef } from './tool.js';

/**
 * The JSON Schema validator the SDK uses for elicitation answers, made on first use and shared by
 * every session: the SDK's default builds an Ajv instance per Server (5 ms of each start-up, and of
 * each new --http session), for a feature most calls never reach.
 */
let ajv: AjvJsonSchemaValidator | undefined;
const sharedValidator: jsonSchemaValidator = { getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema) };

/** Names the method only: the request itself is parsed by the handler (see createSession). */
const TOOLS_CALL = z.looseObject({ method: z.literal('tools/call') });

/** What a session needs from the built server. */
export interface SessionHost<S = unknown> {
  def: ServerDef<any, S>;
  state: S;
  tools: ToolDef<S>[];
  resources: ResourceTemplateDef<S>[];
  prompts: PromptDef<S>[];
  log: Logger;
  logHub: LogHub;
  callTool(name: string, args: unknown, extra: CallExtra, session: SessionHandle): Promise<CallToolResult>;
  /** Called once a client has initialized and whenever its roots change (see server.ts). */
  clientRoots: ClientRoots;
}

export interface ClientRoots {
  /** Gives the server's root listeners the roots a session's client reported. */
  apply(uris: string[], session: SessionHandle): Promise<void>;
  /** A client finished initializing (start-up work runs at the first one). */
  initialized(): void;
}

/** One client's session, as tools and root listeners see it. */
export interface SessionHandle {
  /** The Mcp-Session-Id over HTTP; a random id otherwise. */
  readonly id: string;
  readonly transport: SessionTransport;
  /** Logs of this session: stderr, and this session's client when it asked for them. */
  readonly log: Logger;
  /** The client's root URIs once applied; undefined before, or when the client offers none. */
  readonly roots: readonly string[] | undefined;
  /** Resolves once the client's roots (if it offers any) have been applied; undefined when it has none. */
  rootsReady(): Promise<readonly string[] | undefined>;
  /** Aborted when the session closes (client gone, idle timeout, shutdown). */
  readonly closedSignal: AbortSignal;
}

export type SessionTransport = 'stdio' | 'http' | 'memory';

export interface SessionOptions {
  transport?: SessionTransport;
  /** Default: a random UUID (HTTP uses it as the Mcp-Session-Id). */
  id?: string;
  /** Also forward server-wide log records to this client (the single stdio client). Default: not over HTTP. */
  serverLogs?: boolean;
}

/** A session and the SDK server that speaks for it. */
/** The SDK Protocol's per-kind handlers (not public API; see Session.connect). */
interface SdkHandlers {
  _onrequest(message: unknown, extra: unknown): void;
  _onresponse(message: unknown): void;
  _onnotification(message: unknown): void;
}

export class Session implements SessionHandle {
  readonly id: string;
  readonly transport: SessionTransport;
  readonly sdk: Server;
  roots: readonly string[] | undefined;
  /** Bumped by every roots refresh; a slower, older refresh never overrides a newer one. */
  rootsVersion = 0;
  private readonly logs: SessionLog;
  private readonly closer = new AbortController();
  private settleRoots!: (v: readonly string[] | undefined) => void;
  private rootsSettled = false;
  private readonly ready = new Promise<readonly string[] | undefined>((r) => (this.settleRoots = r));

  constructor(sdk: Server, logs: SessionLog, opts: Required<Pick<SessionOptions, 'id' | 'transport'>>) {
    this.sdk = sdk;
    this.logs = logs;
    this.id = opts.id;
    this.transport = opts.transport;
  }

  get log(): Logger {
    return this.logs.logger;
  }

  get closedSignal(): AbortSignal {
    return this.closer.signal;
  }

  get closed(): boolean {
    return this.closer.signal.aborted;
  }

  rootsReady(): Promise<readonly string[] | undefined> {
    return this.ready;
  }

  /** @internal */
  rootsApplied(uris: readonly string[] | undefined) {
    this.roots = uris;
    if (!this.rootsSettled) (this.rootsSettled = true), this.settleRoots(uris);
  }

  /** @internal */
  setLogLevel(level: McpLogLevel) {
    this.logs.setMcpLevel(level);
  }

  /**
   * Connects the session's SDK server to `transport`, then routes each message the transport
   * delivers straight to the SDK's handler for its kind. The SDK's own routing parses every message
   * with up to four zod schemas to learn its kind (two of them failing, with the errors built for
   * nothing): 13 % of a trivial call's CPU. The kind is read by hand here from an envelope checked
   * by isJsonRpcMessage; what fails that check still goes to the SDK's routing, which reports it.
   * Should a later SDK rename its handlers, its own routing stays (`directDispatch` is then false).
   */
  async connect(transport: Transport): Promise<void> {
    await this.sdk.connect(transport);
    const sdk = this.sdk as unknown as SdkHandlers;
    if (typeof sdk._onrequest !== 'function' || typeof sdk._onresponse !== 'function' || typeof sdk._onnotification !== 'function') return;
    const routed = transport.onmessage;
    if (!routed) return;
    transport.onmessage = (message, extra) => {
      const m = message as { id?: unknown; method?: unknown };
      if (!isJsonRpcMessage(m)) routed(message, extra);
      else if (typeof m.method !== 'string') sdk._onresponse(message);
      else if (m.id === undefined) sdk._onnotification(message);
      else sdk._onrequest(message, extra);
    };
    this.directDispatch = true;
  }

  /** Whether messages skip the SDK's routing (see connect). */
  directDispatch = false;

  /** Closes the SDK server (and its transport); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.markClosed();
    await this.sdk.close().catch(() => {});
  }

  /** @internal The transport closed: forget what the client sent, stop forwarding logs. */
  markClosed() {
    if (this.closed) return;
    this.closer.abort();
    this.logs.close();
    this.rootsApplied(undefined);
    this.roots = undefined;
  }
}

export function createSession<S>(host: SessionHost<S>, opts: SessionOptions = {}): Session {
  const { def, state, tools, resources, prompts, logHub } = host;
  const transport = opts.transport ?? 'memory';
  const id = opts.id ?? randomUUID();
  let listed: Tool[] | undefined;
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
      jsonSchemaValidator: sharedValidator,
    },
  );
  const logs = logHub.forSession({
    sink: (level, logger, data) => void sdk.sendLoggingMessage({ level, logger, data }).catch(() => {}),
    bindings: transport === 'http' ? { session: id } : undefined,
    serverLogs: opts.serverLogs ?? transport !== 'http',
  });
  const session = new Session(sdk, logs, { id, transport });
  const log = session.log;
  const prevClose = sdk.onclose;
  sdk.onclose = () => {
    session.markClosed();
    prevClose?.();
  };

  // JSON Schemas are rendered at the first tools/list, not before `initialize` is answered.
  sdk.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: (listed ??= tools.map(toolListing)) }));
  // tools/call is registered on the protocol layer, past the SDK Server's own wrapper, which parses
  // the request twice and checks every result against CallToolResultSchema (a deep parse of each
  // content block: a tenth of a trivial call's time). The request is parsed once, here, and refused
  // with InvalidParams as before; results are built by core's pipeline only (`renderResult` refuses a
  // result that could not be valid), and the tests' SDK client validates every result it receives.
  Protocol.prototype.setRequestHandler.call(sdk, TOOLS_CALL, (request: unknown, extra: unknown) => {
    const parsed = CallToolRequestSchema.safeParse(request);
    if (!parsed.success) return Promise.reject(new McpError(ErrorCode.InvalidParams, `Invalid tools/call request: ${parsed.error.message}`));
    const { name, arguments: args } = parsed.data.params;
    return rootsStale || rootsFetch
      ? freshRoots((extra as CallExtra).requestId).then(() => host.callTool(name, args, extra as CallExtra, session))
      : host.callTool(name, args, extra as CallExtra, session);
  });
  sdk.setRequestHandler(SetLevelRequestSchema, async (req) => {
    const level = req.params.level as McpLogLevel;
    if (!MCP_LEVELS.includes(level)) throw new McpError(ErrorCode.InvalidParams, `Unknown log level ${level}`);
    session.setLogLevel(level);
    log.debug({ level }, 'client log level set');
    return {};
  });

  if (resources.length) {
    sdk.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
      resourceTemplates: resources.map((r) => ({ name: r.name, title: r.title, uriTemplate: r.uriTemplate, description: r.description, mimeType: r.mimeType })),
    }));
    sdk.setRequestHandler(ListResourcesRequestSchema, async (_req, extra) => {
      await freshRoots(extra.requestId);
      const all = [];
      for (const r of resources) if (r.list) all.push(...(await r.list(state, { signal: extra.signal, session })));
      return { resources: all };
    });
    sdk.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
      await freshRoots(extra.requestId);
      const uri = req.params.uri;
      for (const r of resources) {
        const params = r.match(uri);
        if (!params) continue;
        try {
          return { contents: redact(await r.read(params, state, { signal: extra.signal, uri, session })) };
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

  // MCP roots, for this session only. Only the URIs are kept (bounded), nothing else the client sent.
  // Over stdio they are fetched after initialization and on every list_changed notification. Over
  // HTTP a request from the server needs a stream to travel on, so they are fetched on the stream
  // of the next call (tools/call, resources) after initialization or a list_changed notification,
  // and that call waits for them: a client that narrowed its roots is never served with the old ones.
  const lazy = transport === 'http';
  let rootsStale = false;
  let rootsFetch: Promise<void> | undefined;
  const refreshRoots = async (relatedRequestId?: string | number) => {
    if (!sdk.getClientCapabilities()?.roots) return session.rootsApplied(undefined);
    const version = ++session.rootsVersion;
    try {
      const res = await sdk.listRoots(undefined, { timeout: 5000, relatedRequestId });
      if (version !== session.rootsVersion || session.closed) return;
      const uris = res.roots.slice(0, MAX_ROOTS).map((r) => String(r.uri).slice(0, 4096));
      await host.clientRoots.apply(uris, session);
      if (version !== session.rootsVersion || session.closed) return;
      session.rootsApplied(uris);
      log.info({ roots: uris.length }, 'client roots applied');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read the client roots');
      if (version === session.rootsVersion) session.rootsApplied(session.roots);
    }
  };
  const freshRoots = (requestId: string | number): Promise<void> => {
    if (rootsStale) {
      rootsStale = false;
      const p = refreshRoots(requestId).finally(() => {
        if (rootsFetch === p) rootsFetch = undefined;
      });
      rootsFetch = p;
    }
    return rootsFetch ?? Promise.resolve();
  };
  sdk.oninitialized = () => {
    if (!lazy) void refreshRoots();
    else if (sdk.getClientCapabilities()?.roots) rootsStale = true;
    else session.rootsApplied(undefined);
    host.clientRoots.initialized();
  };
  sdk.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    if (lazy) rootsStale = true;
    else await refreshRoots();
  });
  return session;
}

/** Roots kept per session (a client sending more is cut there). */
const MAX_ROOTS = 64;
