// Sessions own what their client sent: two clients of one built server (in-process), each with its
// own roots (so its own sandbox view) and its own log level and log notifications.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { annotations, buildServer, defineServer, Sandbox, toolsFor } from '../src/index.js';

const base = mkdtempSync(join(tmpdir(), 'bizmcp-sessions-'));
for (const d of ['a', 'b']) {
  mkdirSync(join(base, d));
  writeFileSync(join(base, d, 'f.txt'), d);
}
afterAll(() => rmSync(base, { recursive: true, force: true }));

const tool = toolsFor<{ sandbox: Sandbox }>();
const def = defineServer({
  name: 'sessions',
  version: '0',
  title: 't',
  description: 't',
  env: {},
  parseConfig: () => ({}),
  toolsets: { t: { description: 't' } },
  tools: [
    tool({
      name: 'read',
      toolset: 't',
      title: 'read',
      description: 'reads a file',
      input: z.object({ path: z.string() }),
      output: z.object({ text: z.string(), roots: z.array(z.string()) }),
      annotations: annotations.read(),
      run: async ({ path }, ctx) => {
        ctx.log.info({ path }, `read by ${ctx.session.id}`);
        const sb = ctx.state.sandbox.forSession(ctx.session);
        return { text: (await sb.readFile(path)).data.toString(), roots: [...sb.roots()] };
      },
    }),
  ],
  setup(_c, rt) {
    const sandbox = Sandbox.create([base]);
    sandbox.followClientRoots(rt);
    rt.log.info('server-wide record');
    return { sandbox };
  },
});

async function connect(built: ReturnType<typeof buildServer>, roots: string[] | undefined, transport: 'memory' | 'stdio' = 'memory') {
  const client = new Client({ name: 'c', version: '0' }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  let current = roots ?? [];
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: current.map((uri) => ({ uri })) }));
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(JSON.stringify(n.params)));
  const [a, b] = InMemoryTransport.createLinkedPair();
  // `serverLogs: false` as over HTTP: only the session's own records reach its client.
  const session = built.createSession({ transport, serverLogs: transport === 'stdio' });
  await session.connect(a);
  await client.connect(b);
  if (roots) await session.rootsReady();
  return {
    client,
    session,
    logs,
    async setRoots(uris: string[]) {
      current = uris;
      const before = session.roots;
      await client.sendRootsListChanged();
      for (let i = 0; i < 200 && session.roots === before; i++) await new Promise((r) => setTimeout(r, 10));
    },
    read: (path: string) => client.callTool({ name: 'read', arguments: { path } }),
  };
}

describe('sessions', () => {
  it("one client's roots narrow its own view only; a wider client does not widen another's", async () => {
    const built = buildServer(def, { logStream: { write: () => {} } });
    const narrow = await connect(built, [pathToFileURL(join(base, 'a')).href]);
    const plain = await connect(built, undefined);
    const wide = await connect(built, [pathToFileURL(base).href]);
    expect((await narrow.read(join(base, 'b', 'f.txt'))).isError).toBe(true);
    expect((await narrow.read(join(base, 'a', 'f.txt'))).structuredContent).toMatchObject({ text: 'a', roots: [join(base, 'a')] });
    expect((await plain.read(join(base, 'b', 'f.txt'))).structuredContent).toMatchObject({ text: 'b', roots: [base] });
    expect((await wide.read(join(base, 'b', 'f.txt'))).structuredContent).toMatchObject({ text: 'b' });
    await narrow.setRoots([pathToFileURL(join(base, 'a')).href, 'file:///definitely/missing']);
    await wide.setRoots([pathToFileURL(join(base, 'b')).href]);
    expect((await narrow.read(join(base, 'b', 'f.txt'))).isError).toBe(true);
    expect((await plain.read(join(base, 'a', 'f.txt'))).structuredContent).toMatchObject({ roots: [base] });
    const w = await wide.read(join(base, 'a', 'f.txt'));
    expect(w.isError, JSON.stringify([w, wide.session.roots])).toBe(true);
    expect(built.state.sandbox.roots()).toEqual([base]);
    await built.close();
  });

  it("log notifications go to the session whose call wrote them, at that session's level", async () => {
    const built = buildServer(def, { logStream: { write: () => {} } });
    const a = await connect(built, undefined);
    await a.client.setLoggingLevel('debug');
    const b = await connect(built, undefined);
    await b.client.setLoggingLevel('debug');
    const c = await connect(built, undefined);
    await a.read(join(base, 'a', 'f.txt'));
    await new Promise((r) => setTimeout(r, 20));
    expect(a.logs.some((l) => l.includes(`read by ${a.session.id}`))).toBe(true);
    expect(b.logs.join('\n')).not.toContain(base);
    expect(c.logs).toEqual([]);
    // Over HTTP no client receives server-wide records.
    expect([...a.logs, ...b.logs].join('\n')).not.toContain('server-wide');
    await built.close();
  });

  it('a stdio-like session still receives server-wide records once it set a level', async () => {
    const built = buildServer(def, { logStream: { write: () => {} } });
    const { client, logs } = await connect(built, undefined, 'stdio');
    await client.setLoggingLevel('debug');
    built.log.info('after level set');
    await new Promise((r) => setTimeout(r, 20));
    expect(logs.join('\n')).toContain('after level set');
    await built.close();
  });
});

describe('session.connect: messages routed by hand to the SDK handlers', () => {
  it('requests, notifications, responses to server requests and malformed messages are all handled', async () => {
    const built = buildServer(def, { logStream: { write: () => {} } });
    const c = await connect(built, [pathToFileURL(join(base, 'a')).href]);
    // the SDK's own routing is replaced (a later SDK without its handlers would keep it)
    expect(c.session.directDispatch).toBe(true);
    // a request and its answer; roots/list was a server request answered by the client (a response)
    expect((await c.read('f.txt')).structuredContent).toMatchObject({ text: 'a' });
    // a notification: the new roots arrive through roots/list_changed, then a response again
    await c.setRoots([pathToFileURL(join(base, 'b')).href]);
    expect((await c.read(join(base, 'b', 'f.txt'))).structuredContent).toMatchObject({ text: 'b' });
    // a message that is not JSON-RPC goes to the SDK's routing, which reports it as an error
    const errors: string[] = [];
    c.session.sdk.onerror = (e) => void errors.push(e.message);
    const wire = (c.client as unknown as { transport: { send(m: unknown): Promise<void> } }).transport;
    await wire.send({ jsonrpc: '2.0', id: 1.5, method: 'tools/list' });
    for (let i = 0; i < 50 && !errors.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(errors.join()).toMatch(/Unknown message type/);
    await c.client.close();
  });
});

describe('the SDK features core configures', () => {
  it('an elicitation answer is still checked against its schema (the shared, lazily made validator)', async () => {
    const built = buildServer(def, { logStream: { write: () => {} } });
    const sessions = [built.createSession({ transport: 'memory' }), built.createSession({ transport: 'memory' })];
    for (const [i, session] of sessions.entries()) {
      const client = new Client({ name: 'c', version: '0' }, { capabilities: { elicitation: { form: {} } } });
      // the first client answers as asked, the second with a value the schema refuses
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { amount: i === 0 ? 12 : 'twelve' } }));
      const [a, b] = InMemoryTransport.createLinkedPair();
      await session.connect(a);
      await client.connect(b);
      const ask = () => session.sdk.elicitInput({ mode: 'form', message: 'How much?', requestedSchema: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] } });
      if (i === 0) expect(await ask()).toMatchObject({ action: 'accept', content: { amount: 12 } });
      else await expect(ask()).rejects.toThrow(/does not match|validat/i);
      await client.close();
    }
  });
});
