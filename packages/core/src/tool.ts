// A tool is a value: its name, what a model needs to know to use it, its schemas, its annotations,
// its limits and its run function. Servers export arrays of these; core registers them.
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { RateLimit } from './limits.js';
import type { SessionHandle } from './session.js';

/** The four MCP hints, always explicit: clients treat a missing hint as its riskiest value. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * Annotation presets. `openWorld`: the tool reaches something outside this machine's control (a SaaS
 * API, the web, a mail server) rather than a closed local system (files in the sandbox, the database).
 */
export const annotations = {
  /** Reads only; repeating it changes nothing. */
  read: (o: { openWorld?: boolean } = {}): ToolAnnotations => ({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: o.openWorld ?? false }),
  /** Adds or updates without losing anything (create, append, send). */
  additive: (o: { idempotent?: boolean; openWorld?: boolean } = {}): ToolAnnotations => ({
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: o.idempotent ?? false,
    openWorldHint: o.openWorld ?? false,
  }),
  /** May overwrite or delete what exists (replace, delete, refund). */
  destructive: (o: { idempotent?: boolean; openWorld?: boolean } = {}): ToolAnnotations => ({
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: o.idempotent ?? false,
    openWorldHint: o.openWorld ?? false,
  }),
};

/** MCP content blocks a tool may add beside its structured result (images, audio, resources). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType?: string; description?: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } };

export interface ToolContext<S = unknown> {
  /** Fires on client cancellation (notifications/cancelled), on the tool's timeout, and on shutdown. */
  signal: AbortSignal;
  log: Logger;
  /** Sends notifications/progress when the client asked for progress (a no-op otherwise). */
  progress(done: number, total?: number, message?: string): Promise<void>;
  /** The server's state, created once by its `setup`. Awaiting it waits for slow start-up work. */
  state: S;
  toolName: string;
  /** The client session of this call: what one client set (its roots, its log level) lives here.
   *  A sandbox that follows client roots is used through `sandbox.forSession(ctx.session)`. */
  session: SessionHandle;
  /** Throws a `cancelled`/`timeout` ToolError when the signal has fired; cheap to call in loops. */
  checkAborted(): void;
  /** This call's time budget in ms (the tool's timeout, or its BIZMCP_TIMEOUT_MS_<NAME> override). */
  timeoutMs: number;
  /** When this call times out (epoch ms). Every inner timeout (a statement, a request, a download)
   *  derives from it: use `remainingMs()` rather than a fixed number. */
  deadline: number;
  /** Milliseconds left before the deadline (never negative). */
  remainingMs(): number;
}

const RESULT = Symbol.for('bizmcp.toolResult');

export interface RichResult<O> {
  [RESULT]: true;
  structured: O;
  /** Replaces the default text rendering. */
  text?: string;
  /** Extra content blocks (images, audio, resource links) sent after the text. */
  content?: ContentBlock[];
}

/** Returns `structured` with extra content blocks or a custom text rendering. */
export function richResult<O>(structured: O, extra: { text?: string; content?: ContentBlock[] } = {}): RichResult<O> {
  return { [RESULT]: true, structured, ...extra };
}

export const isRichResult = (v: unknown): v is RichResult<unknown> => typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[RESULT] === true;

/** Turns on core's outcome-unknown guard for a write that must not happen twice by accident. */
export interface OutcomeGuard<I = any> {
  /** The boolean argument by which a caller confirms a repeat after an unknown outcome. */
  confirmArg: string;
  /** What makes two calls "the same write" (default: the tool name and its arguments). */
  key?(args: I): string;
  /** How long an unknown outcome blocks the same write (default 24 h). */
  ttlMs?: number;
}

export interface ToolDef<S = any, I extends z.ZodObject<any> = z.ZodObject<any>, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  /** The capability group this tool belongs to (`--toolsets` selects groups); declared by the server. */
  toolset: string;
  /** Written for a model: when to use it, what it returns, its limits. */
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Default timeout; BIZMCP_TIMEOUT_MS_<NAME> overrides it. */
  timeoutMs?: number;
  /** Default rate limit; BIZMCP_RATE_LIMIT_<NAME>=calls/seconds overrides it. */
  rateLimit?: RateLimit;
  /** Renders the text content from the result (default: compact JSON). */
  text?(result: z.infer<O>): string;
  /** Whether the tool exists under this configuration (default: always), e.g. only with --allow-write.
   *  The tool list itself stays static, so docs and checks see every tool. */
  enabled?(config: any): boolean;
  /** Non-idempotent writes: a call that timed out, was cancelled or lost its connection is reported
   *  as outcome unknown, and the same write is refused until the caller confirms it. */
  outcomeGuard?: OutcomeGuard<z.infer<I>>;
  run(args: z.infer<I>, ctx: ToolContext<S>): Promise<z.infer<O> | RichResult<z.infer<O>>>;
}

/** Identity function that gives `run` its argument and result types. */
export function defineTool<S, I extends z.ZodObject<any>, O extends z.ZodType>(def: ToolDef<S, I, O>): ToolDef<S, I, O> {
  if (!TOOL_NAME.test(def.name)) throw new Error(`bad tool name ${def.name}: snake_case, starting with a letter, at most 64 characters`);
  return def;
}

/** Tool names and (for new tools) argument names: snake_case. */
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** A tool is kept by --read-only when it says it only reads. */
export const isReadOnlyTool = (t: Pick<ToolDef, 'annotations'>) => t.annotations.readOnlyHint === true;

// ---- resources and prompts, also values ----

export interface ResourceTemplateDef<S = any> {
  name: string;
  /** Whether the resource exists under this configuration (default: always). */
  enabled?(config: any): boolean;
  title?: string;
  uriTemplate: string;
  description: string;
  mimeType?: string;
  /** Concrete resources for resources/list (bounded), optional. */
  list?(state: S, ctx: { signal: AbortSignal; session?: SessionHandle }): Promise<{ uri: string; name: string; title?: string; mimeType?: string; description?: string }[]>;
  /** Returns undefined when the URI is not one of this template's. */
  match(uri: string): Record<string, string> | undefined;
  read(params: Record<string, string>, state: S, ctx: { signal: AbortSignal; uri: string; session?: SessionHandle }): Promise<{ uri: string; mimeType?: string; text?: string; blob?: string }[]>;
}

export interface PromptDef<S = any> {
  name: string;
  /** Whether the prompt exists under this configuration (default: always). */
  enabled?(config: any): boolean;
  title?: string;
  description: string;
  arguments: { name: string; description: string; required?: boolean }[];
  get(args: Record<string, string>, state: S): Promise<{ description?: string; messages: { role: 'user' | 'assistant'; content: { type: 'text'; text: string } }[] }>;
}

/**
 * `const tool = toolsFor<MyState>()` gives a `defineTool` bound to a server's state type, so each
 * tool infers its argument and result types from its schemas: `tool({ name, input, output, run })`.
 */
export function toolsFor<S>() {
  return <I extends z.ZodObject<any>, O extends z.ZodType>(def: ToolDef<S, I, O>): ToolDef<S, I, O> => defineTool(def);
}
