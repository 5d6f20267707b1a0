// Test helpers: a server connected to the SDK Client in-process, a built binary spawned over stdio,
// and raw JSON-RPC lines piped into a binary.
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { buildServer, type BuiltServer, type ServerDef, type Session } from './server.js';

export * from './testing/recorder.js';
export * from './testing/contract.js';
export * from './testing/fake-api.js';
export * from './testing/bins.js';
export * from './testing/oauth.js';
export * from './testing/redis.js';
export * from './testing/ports.js';
export * from './testing/races.js';

/** What a typed `ok(tool, args)` needs of a tool value: its name and its zod schemas. */
export interface TypedTool<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  input: I;
  output: O;
}

export interface InProcess<S = any> {
  client: Client;
  server: BuiltServer<any, S>;
  /** The server side of this client's session. */
  session: Session;
  /** Log lines the server wrote (JSON strings). */
  logs: string[];
  /** Calls a tool and returns the raw result (errors are results with isError). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /**
   * Calls a tool, fails the test when it returns isError, and returns structuredContent. Given the
   * tool value instead of its name, the arguments and the result are typed from its schemas.
   */
  ok<T extends TypedTool>(tool: T, args?: z.input<T['input']>): Promise<z.infer<T['output']>>;
  ok<T = any>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Replaces the roots the client offers and notifies the server. */
  setRoots(uris: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function connectInProcess<S = any>(def: ServerDef<any, S>, opts: { argv?: string[]; env?: NodeJS.ProcessEnv; roots?: string[]; clientName?: string } = {}): Promise<InProcess<S>> {
  const logs: string[] = [];
  const server = buildServer(def, {
    argv: opts.argv ?? [],
    env: { LOG_LEVEL: 'debug', ...(opts.env ?? {}) },
    logStream: { write: (s: string) => logs.push(s) },
  });
  let roots = opts.roots;
  const client = new Client({ name: opts.clientName ?? 'bizmcp-test', version: '0.0.0' }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: (roots ?? []).map((uri) => ({ uri, name: uri })) }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  const session = server.createSession({ transport: 'memory' });
  await session.connect(a);
  await client.connect(b);
  if (roots) await session.rootsReady();
  // The SDK client checks structuredContent against a tool's output schema only once it has seen
  // the schema in tools/list: list first, so every test call is validated.
  await client.listTools();
  const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  return {
    client,
    server,
    session,
    logs,
    call,
    async ok(tool: string | TypedTool, args: Record<string, unknown> = {}) {
      const name = typeof tool === 'string' ? tool : tool.name;
      const r = await call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${textOf(r)}`);
      return r.structuredContent as any;
    },
    async setRoots(uris) {
      roots = uris;
      const before = session.roots;
      await client.sendRootsListChanged();
      // Wait for the server's round trip (roots/list, then applied to this session).
      for (let i = 0; i < 500 && session.roots === before; i++) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}

export function textOf(r: CallToolResult | { content?: unknown }): string {
  const content = (r as CallToolResult).content ?? [];
  return content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

export interface Spawned {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
  pid: number | undefined;
}

/** Spawns a built server binary and connects the SDK Client to it over stdio. */
export async function spawnStdio(bin: string, opts: { args?: string[]; env?: Record<string, string>; cwd?: string } = {}): Promise<Spawned> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, ...(opts.args ?? [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(opts.env ?? {}) },
    cwd: opts.cwd,
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'bizmcp-e2e', version: '0.0.0' });
  await client.connect(transport);
  await client.listTools(); // enables output-schema validation of every call
  return { client, stderr: () => err, close: () => client.close(), pid: transport.pid ?? undefined };
}

export interface RawRun {
  /** Each stdout line parsed as JSON (a non-JSON line fails the helper: stdout must be protocol only). */
  messages: any[];
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Pipes `input` into a binary's stdin, closes stdin, and waits for it to exit. */
export function rawStdio(bin: string, input: string, opts: { args?: string[]; env?: Record<string, string>; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), bin, ...(opts.args ?? [])], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(opts.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} did not exit within ${opts.timeoutMs ?? 20000} ms; stderr: ${err.slice(-2000)}`));
    }, opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      try {
        resolve({ messages: lines.map((l) => JSON.parse(l)), stdout: out, stderr: err, code, signal });
      } catch {
        reject(new Error(`stdout carried a line that is not JSON: ${out.slice(0, 500)}`));
      }
    });
    child.stdin.end(input);
  });
}

/** JSON-RPC lines for a quick session: initialize, initialized, then the given requests. */
export function jsonLines(requests: { method: string; params?: unknown }[], protocolVersion = '2025-06-18'): string {
  const lines = [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    ...requests.map((r, i) => ({ jsonrpc: '2.0', id: i + 1, ...r })),
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
