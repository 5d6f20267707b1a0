// A stdio transport that keeps serving whatever arrives on stdin:
// - a line that is not JSON is answered with a JSON-RPC -32700 error (id null) instead of being
//   dropped, and a JSON value that is not a JSON-RPC message with -32600;
// - stdout carries only JSON-RPC lines;
// - when stdin ends, every request already read is answered before `onclose` fires, so
//   `printf '<lines>' | bizmcp-X` prints one answer per request and exits.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

const MAX_LINE_BYTES = 64 * 1024 * 1024;
type Id = string | number;

export class RobustStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  private readonly pending = new Set<Id>();
  private ended = false;
  private closed = false;

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
  ) {}

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('close', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    this.stdout.on('error', this.onStdoutError);
  }

  /** Requests read but not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private onData = (chunk: Buffer) => {
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      const line = this.chunks.length ? Buffer.concat([...this.chunks, piece]).toString('utf8') : piece.toString('utf8');
      this.chunks = [];
      this.size = 0;
      this.handleLine(line);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.size += rest.length;
      if (this.size > MAX_LINE_BYTES) {
        // Drop the oversized line: answer once, then ignore until the next newline.
        this.chunks = [];
        this.size = 0;
        this.writeError(null, -32700, `Parse error: line longer than ${MAX_LINE_BYTES} bytes`);
        return;
      }
      this.chunks.push(Buffer.from(rest));
    }
  };

  private handleLine(raw: string) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0 || (line.length < 64 && line.trim() === '')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.writeError(null, -32700, 'Parse error: the line is not valid JSON');
      return;
    }
    if (!isJsonRpcMessage(value)) {
      const id = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
      const validId = typeof id === 'string' || typeof id === 'number' ? id : null;
      this.writeError(validId, -32600, Array.isArray(value) ? 'Invalid Request: batches are not supported' : 'Invalid Request: not a JSON-RPC 2.0 message');
      return;
    }
    const msg = value as JSONRPCMessage & { id?: Id; method?: string; params?: { requestId?: Id } };
    if (msg.method !== undefined && msg.id !== undefined) this.pending.add(msg.id);
    // A cancelled request is never answered (MCP spec): stop waiting for it.
    if (msg.method === 'notifications/cancelled' && msg.params?.requestId !== undefined) {
      this.pending.delete(msg.params.requestId);
      queueMicrotask(() => this.maybeFinish());
    }
    this.onmessage?.(msg);
  }

  private onEnd = () => {
    if (this.ended) return;
    this.ended = true;
    if (this.chunks.length) {
      const last = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.handleLine(last);
    }
    this.maybeFinish();
  };

  private onStdinError = (err: Error) => this.onerror?.(err);
  private onStdoutError = (err: Error & { code?: string }) => {
    // The client went away (EPIPE): nothing more can be answered.
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      this.pending.clear();
      this.ended = true;
      void this.close();
    } else this.onerror?.(err);
  };

  private maybeFinish() {
    if (this.ended && this.pending.size === 0 && !this.closed) void this.close();
  }

  private writeError(id: Id | null, code: number, message: string) {
    this.write(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }) + '\n');
  }

  /** Resolves at stdout's next 'drain'; one listener however many writes wait for it. */
  private drained: Promise<void> | undefined;

  private write(s: string): Promise<void> {
    if (this.closed || this.stdout.destroyed) return Promise.resolve();
    if (this.stdout.write(s)) return Promise.resolve();
    // A listener per waiting write made each 'drain' remove thousands of them, one by one, when
    // calls are pipelined (7 % of the CPU).
    this.drained ??= new Promise<void>((resolve) =>
      this.stdout.once('drain', () => {
        this.drained = undefined;
        resolve();
      }),
    );
    return this.drained;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.write(JSON.stringify(message) + '\n');
    const m = message as { id?: Id; method?: string };
    if (m.method === undefined && m.id !== undefined && this.pending.delete(m.id)) this.maybeFinish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('close', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdin.pause();
    this.onclose?.();
  }
}

/**
 * The envelope check of a JSON-RPC 2.0 message, by hand: the SDK validates each request's params
 * against its own schema afterwards, so a full zod parse of the envelope here would only repeat
 * work on every message.
 */
export function isJsonRpcMessage(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  const hasId = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isInteger(m.id));
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) return false;
  if (typeof m.method === 'string') return m.id === undefined || hasId;
  return hasId && ('result' in m ? typeof m.result === 'object' && m.result !== null : typeof m.error === 'object' && m.error !== null);
}
