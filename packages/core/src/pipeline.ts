// The call pipeline: every tools/call goes through an ordered list of steps, each a plain value
//
//   log → metrics → render (redact, errors as results) → validate → rate limit → outcome guard → deadline → run
//
// (outermost first). A step sees the call and passes it on with `next(call)`; one that does not
// apply to a tool (no rate limit, no outcome guard) is left out of that tool's chain when the server
// starts, so it costs nothing per call. A server adds its own step with `steps: [{ name, after, handle }]`
// in its definition, without touching core.
import { randomUUID } from 'node:crypto';
import { ContentBlockSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isToolError, ToolError, zodToToolError } from './errors.js';
import { timeoutEnvName, type RateLimit, type RateLimiters } from './limits.js';
import type { Metrics } from './metrics.js';
import type { OutcomeGuards } from './outcome.js';
import { redact, redactString } from './redact.js';
import type { SessionHandle } from './session.js';
import { isRichResult, type ContentBlock, type ToolContext, type ToolDef } from './tool.js';

/** What the SDK gives a request handler, as far as a call needs it. */
export interface CallExtra {
  signal: AbortSignal;
  requestId: string | number;
  _meta?: { progressToken?: string | number };
  sendNotification(n: { method: string; params: Record<string, unknown> }): Promise<void>;
}

/** Per-tool settings resolved once at start-up (defaults, then environment overrides). */
export interface ToolSettings {
  timeoutMs: number;
  rateLimit?: RateLimit;
}

/** Server-wide things steps use. */
export interface PipelineEnv<S = unknown> {
  server: string;
  state: S;
  log: Logger;
  metrics: Metrics;
  limiters: RateLimiters;
  outcomes: OutcomeGuards;
  shutdownSignal: AbortSignal;
  /** Calls in flight, so shutdown can abort them. */
  active: Set<CallControl>;
}

/** One call as it moves through the pipeline. */
export class ToolCall<S = unknown> {
  /** Arguments: raw until `validate`, parsed after. */
  args: any;
  control: CallControl | undefined;
  ok = false;
  private childLog: Logger | undefined;

  constructor(
    readonly tool: ToolDef<S>,
    readonly settings: ToolSettings,
    rawArgs: unknown,
    readonly extra: CallExtra,
    readonly env: PipelineEnv<S>,
    /** The client session the call came from (its logs go to that client only). */
    readonly session: SessionHandle,
  ) {
    this.args = rawArgs;
  }

  /** The call's logger (created on first use), a child of its session's. */
  get log(): Logger {
    return (this.childLog ??= this.session.log.child({ tool: this.tool.name, requestId: this.extra.requestId }));
  }

  get hasLog(): boolean {
    return this.childLog !== undefined;
  }
}

export type Next = (call: ToolCall<any>) => Promise<unknown>;

export interface PipelineStep {
  name: string;
  /** Where a server's own step goes (default: just before `run`). */
  before?: string;
  after?: string;
  /** Whether this step applies to a tool; decided once at start-up (default: always). */
  appliesTo?(tool: ToolDef, settings: ToolSettings): boolean;
  handle(call: ToolCall<any>, next: Next): Promise<unknown>;
}

// ---- core's steps -------------------------------------------------------------------------------

const log: PipelineStep = {
  name: 'log',
  handle(call, next) {
    const started = performance.now();
    return next(call).finally(() => {
      if (call.hasLog || call.session.log.levelVal <= 20) call.log.debug({ ms: Math.round((performance.now() - started) * 10) / 10, ok: call.ok }, 'tool call');
    });
  },
};

const metrics: PipelineStep = {
  name: 'metrics',
  handle(call, next) {
    const started = performance.now();
    return next(call).finally(() => call.env.metrics.record(call.tool.name, call.ok, performance.now() - started));
  },
};

/** Results become MCP results with secrets masked; every failure becomes an `isError` result. */
const render: PipelineStep = {
  name: 'render',
  handle(call, next) {
    return next(call).then(
      (result) => {
        let rendered: CallToolResult;
        try {
          rendered = renderResult(call.tool, result);
        } catch (err) {
          return renderError(err, call); // a result that could not be valid
        }
        call.ok = true;
        return rendered;
      },
      (err) => renderError(err, call),
    );
  },
};

const validate: PipelineStep = {
  name: 'validate',
  handle(call, next) {
    const parsed = call.tool.input.safeParse(call.args ?? {});
    if (!parsed.success) return Promise.reject(zodToToolError(parsed.error));
    call.args = parsed.data;
    return next(call);
  },
};

const rateLimit: PipelineStep = {
  name: 'rate-limit',
  appliesTo: (_t, s) => s.rateLimit !== undefined,
  async handle(call, next) {
    await call.env.limiters.consume(`${call.env.server}:${call.tool.name}`, call.settings.rateLimit!);
    return next(call);
  },
};

const outcomeGuard: PipelineStep = {
  name: 'outcome-guard',
  appliesTo: (t) => t.outcomeGuard !== undefined,
  handle: (call, next) => call.env.outcomes.guard(call, next),
};

/** Timeout, client cancellation and shutdown joined in one AbortSignal; the tool's context. */
const deadline: PipelineStep = {
  name: 'deadline',
  async handle(call, next) {
    if (call.env.shutdownSignal.aborted) throw new ToolError('The server is shutting down', { code: 'cancelled' });
    const control = new CallControl(call.settings.timeoutMs, call.tool.name, call.extra.signal);
    call.control = control;
    call.env.active.add(control);
    try {
      return await control.race(next(call));
    } finally {
      control.dispose();
      call.env.active.delete(control);
    }
  },
};

const run: PipelineStep = {
  name: 'run',
  handle: (call) => call.tool.run(call.args, new CallContext(call)),
};

export const CORE_STEPS: readonly PipelineStep[] = [log, metrics, render, validate, rateLimit, outcomeGuard, deadline, run];

/** Core's steps with a server's own steps placed by their `before`/`after`. */
export function orderSteps(extra: PipelineStep[] = []): PipelineStep[] {
  const steps = [...CORE_STEPS];
  for (const s of extra) {
    const anchor = s.after ?? s.before ?? 'run';
    const i = steps.findIndex((x) => x.name === anchor);
    if (i === -1) throw new Error(`pipeline step ${s.name}: no step named "${anchor}"`);
    if (s.after && anchor === 'run') throw new Error(`pipeline step ${s.name}: nothing runs after "run"`);
    steps.splice(s.after ? i + 1 : i, 0, s);
  }
  return steps;
}

/** The chain of one tool: the steps that apply to it, linked once. */
export function chainFor(steps: PipelineStep[], tool: ToolDef, settings: ToolSettings): Next {
  const mine = steps.filter((s) => !s.appliesTo || s.appliesTo(tool, settings));
  let next: Next = () => Promise.reject(new Error('the pipeline ended without running the tool'));
  for (let i = mine.length - 1; i >= 0; i--) {
    const step = mine[i];
    const after = next;
    next = (call) => step.handle(call, after);
  }
  return next;
}

// ---- rendering ----------------------------------------------------------------------------------

function renderResult(tool: ToolDef, result: unknown): CallToolResult {
  let structured: unknown = result;
  let text: string | undefined;
  let extra: ContentBlock[] | undefined;
  if (isRichResult(result)) {
    structured = result.structured;
    text = result.text;
    extra = result.content;
  }
  // The SDK's own check of every result is skipped (session.ts): a result that could not be valid
  // is refused here, as an internal error, at no cost for the common text-only case.
  if (structured !== undefined && (typeof structured !== 'object' || structured === null || Array.isArray(structured))) {
    throw new Error(`${tool.name} returned ${structured === null ? 'null' : Array.isArray(structured) ? 'an array' : typeof structured} where its result must be an object`);
  }
  if (extra) {
    for (const block of extra) {
      const checked = ContentBlockSchema.safeParse(block);
      if (!checked.success) throw new Error(`${tool.name} returned a malformed content block: ${checked.error.message}`);
    }
  }
  structured = redact(structured);
  if (text === undefined) text = tool.text ? tool.text(structured as never) : JSON.stringify(structured);
  else text = redact(text);
  const content: ContentBlock[] = [{ type: 'text', text }];
  if (extra) content.push(...extra);
  return { content, structuredContent: structured as Record<string, unknown> } as CallToolResult;
}

function renderError(err: unknown, call: ToolCall<any>): CallToolResult {
  if (isToolError(err)) {
    const lines = [err.message];
    if (err.hint) lines.push(`Hint: ${err.hint}`);
    if (err.code !== 'invalid_argument' && err.code !== 'not_found') call.log.info({ code: err.code, reason: err.message }, 'tool error');
    return {
      isError: true,
      content: [{ type: 'text', text: redactString(lines.join('\n')) }],
      _meta: { 'bizmcp/error': redact({ code: err.code, ...(err.details ? { details: err.details } : {}) }) },
    } as CallToolResult;
  }
  const id = randomUUID().slice(0, 8);
  call.log.error({ err, errorId: id }, 'unexpected tool failure');
  const name = err instanceof Error ? err.name : typeof err;
  return {
    isError: true,
    content: [{ type: 'text', text: `Internal error in ${call.tool.name} (${name}, error id ${id}). The details are in the server's log.` }],
  };
}

// ---- what a tool's run receives ------------------------------------------------------------------

/** A class, so creating one per call is cheap; the AbortSignal and the child logger are made on first use. */
class CallContext<S> implements ToolContext<S> {
  private readonly control: CallControl;
  constructor(private readonly call: ToolCall<S>) {
    this.control = call.control!;
  }

  get state(): S {
    return this.call.env.state;
  }

  get toolName(): string {
    return this.call.tool.name;
  }

  get session(): SessionHandle {
    return this.call.session;
  }

  get signal(): AbortSignal {
    return this.control.signal;
  }

  get log(): Logger {
    return this.call.log;
  }

  get timeoutMs(): number {
    return this.control.timeoutMs;
  }

  get deadline(): number {
    return this.control.deadline;
  }

  remainingMs(): number {
    return Math.max(0, this.control.deadline - Date.now());
  }

  async progress(done: number, total?: number, message?: string): Promise<void> {
    const progressToken = this.call.extra._meta?.progressToken;
    if (progressToken === undefined || this.control.reason) return;
    await this.call.extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: done, total, message } }).catch(() => {});
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
export class CallControl {
  reason: ToolError | undefined;
  readonly deadline: number;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout;
  private reject: ((e: unknown) => void) | undefined;
  private readonly onClientAbort = () => this.abort(new ToolError('Cancelled by the client', { code: 'cancelled' }));

  constructor(
    readonly timeoutMs: number,
    toolName: string,
    private readonly clientSignal: AbortSignal,
  ) {
    this.deadline = Date.now() + timeoutMs;
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
