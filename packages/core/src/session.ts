// The session: one SDK `Server` per connection (one for stdio, one per client with --http), with the
// protocol handlers wired to the server's registry and call pipeline: tools/list, tools/call,
// logging/setLevel, resources, prompts, and the client's MCP roots.
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
import type { Logger } from 'pino';
import { isToolError } from './errors.js';
import { MCP_LEVELS, type LogHub, type McpLogLevel } from './logging.js';
import type { CallExtra } from './pipeline.js';
import { redact } from './redact.js';
import { binName, toolListing, type ServerDef } from './registry.js';
import type { PromptDef, ResourceTemplateDef, ToolDef } from './tool.js';

/** What a session needs from the built server. */
export interface SessionHost<S = unknown> {
  def: ServerDef<any, S>;
  state: S;
  tools: ToolDef<S>[];
  resources: ResourceTemplateDef<S>[];
  prompts: PromptDef<S>[];
  log: Logger;
  logHub: LogHub;
  callTool(name: string, args: unknown, extra: CallExtra): Promise<CallToolResult>;
  /** Called once a client has initialized; applies its roots (see server.ts). */
  clientRoots: ClientRoots;
}

export interface ClientRoots {
  /** Applies the roots a client reported (or that it has none). */
  apply(uris: string[] | undefined): Promise<void>;
  /** The first client finished initializing. */
  initialized(): void;
}

export function createSession<S>(host: SessionHost<S>): Server {
  const { def, state, tools, resources, prompts, log, logHub } = host;
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
    },
  );
  // JSON Schemas are rendered at the first tools/list, not before `initialize` is answered.
  sdk.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: (listed ??= tools.map(toolListing)) }));
  sdk.setRequestHandler(CallToolRequestSchema, (req, extra) => host.callTool(req.params.name, req.params.arguments, extra as CallExtra));
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
    if (!sdk.getClientCapabilities()?.roots) return host.clientRoots.apply(undefined);
    try {
      const res = await sdk.listRoots(undefined, { timeout: 5000 });
      await host.clientRoots.apply(res.roots.map((r) => r.uri));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read the client roots');
      await host.clientRoots.apply(undefined);
    }
  };
  sdk.oninitialized = () => {
    void refreshRoots();
    host.clientRoots.initialized();
  };
  sdk.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    await refreshRoots();
  });
  return sdk;
}
