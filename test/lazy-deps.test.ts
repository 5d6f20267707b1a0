// Dependencies that servers load lazily (at first use) behave differently once bundled: a CommonJS
// package imported with `await import()` from the sources exposes its exports directly, from dist/
// under `default`. Each such path not already driven by a package's own end-to-end test is driven
// here through the built binary. The others, and where they are driven through dist/:
//   PGlite, libpg-query, pg               packages/database/test/e2e.test.ts
//   playwright-core, cheerio              packages/scraping/test/e2e.test.ts
//   imapflow, mailparser, nodemailer      packages/email/test/e2e.test.ts
//   undici (the net guard)                packages/http-api/test/e2e.test.ts
//   ioredis, rate-limiter-flexible        packages/core/test/stdio.test.ts (two processes, one Redis)
//   the HTTP transport                    packages/core/test/http-attacks.test.ts
//   stripe, @slack/web-api                packages/{stripe,slack}/test/e2e.test.ts
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio, textOf } from '@bizmcp/core/testing';

const dir = mkdtempSync(join(tmpdir(), 'bizmcp-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('http-api from dist/: an OpenAPI document in YAML (yaml) and argument validation (ajv)', () => {
  let api: Server;
  let base: string;
  const received: string[] = [];
  beforeAll(async () => {
    api = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 7, ...JSON.parse(body || '{}') }));
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(api.address() as { port: number }).port}/v1`;
    writeFileSync(
      join(dir, 'spec.yaml'),
      [
        'openapi: 3.0.3',
        'info: { title: Orders, version: "1" }',
        'paths:',
        '  /orders:',
        '    post:',
        '      operationId: createOrder',
        '      requestBody:',
        '        required: true',
        '        content:',
        '          application/json:',
        '            schema:',
        '              type: object',
        '              required: [sku, quantity]',
        '              properties:',
        '                sku: { type: string }',
        '                quantity: { type: integer, minimum: 1 }',
        '      responses:',
        '        "201": { description: created }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => api.close());

  it('lists, validates and calls the YAML-described operation', async () => {
    const s = await spawnStdio(builtBin('http-api'), { env: { API_BASE_URL: base, OPENAPI_SPEC: join(dir, 'spec.yaml') } });
    try {
      const list = await s.client.callTool({ name: 'list_endpoints', arguments: {} });
      expect(list.isError, textOf(list as never)).toBeFalsy();
      expect(list.structuredContent).toMatchObject({ operations: [{ operationId: 'createOrder', method: 'POST', path: '/orders' }] });
      const bad = await s.client.callTool({ name: 'call_endpoint', arguments: { operation_id: 'createOrder', body: { sku: 'A-1', quantity: 0 } } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad as never)).toMatch(/quantity/);
      expect(received).toEqual([]);
      const ok = await s.client.callTool({ name: 'call_endpoint', arguments: { operation_id: 'createOrder', body: { sku: 'A-1', quantity: 2 } } });
      expect(ok.isError, textOf(ok as never)).toBeFalsy();
      expect((ok.structuredContent as { body: unknown }).body).toEqual({ id: 7, sku: 'A-1', quantity: 2 });
      expect(received).toEqual(['POST /v1/orders {"sku":"A-1","quantity":2}']);
    } finally {
      await s.close();
    }
  });
});

describe('filesystem from dist/: edits (diff) and glob searches (picomatch)', () => {
  it('edit_file shows a unified diff and applies it; search_files matches and prunes globs', async () => {
    const root = join(dir, 'files');
    for (const p of ['src/a', 'src/node_modules/x']) mkdirSync(join(root, p), { recursive: true });
    writeFileSync(join(root, 'src', 'a', 'notes.md'), 'first line\nsecond line\n');
    writeFileSync(join(root, 'src', 'a', 'one.test.ts'), '');
    writeFileSync(join(root, 'src', 'node_modules', 'x', 'two.test.ts'), '');
    const s = await spawnStdio(builtBin('filesystem'), { args: [root] });
    try {
      const edit = await s.client.callTool({ name: 'edit_file', arguments: { path: join(root, 'src', 'a', 'notes.md'), edits: [{ oldText: 'second line', newText: 'changed line' }] } });
      expect(edit.isError, textOf(edit as never)).toBeFalsy();
      expect((edit.structuredContent as { diff: string }).diff).toMatch(/^-second line$[\s\S]*^\+changed line$/m);
      expect(readFileSync(join(root, 'src', 'a', 'notes.md'), 'utf8')).toBe('first line\nchanged line\n');
      const found = await s.client.callTool({ name: 'search_files', arguments: { path: root, pattern: 'src/**/*.test.ts', excludePatterns: ['node_modules'] } });
      expect(found.isError, textOf(found as never)).toBeFalsy();
      const text = textOf(found as never);
      expect(text).toContain('one.test.ts');
      expect(text).not.toContain('two.test.ts');
    } finally {
      await s.close();
    }
  });
});

// What a server loads before it answers `initialize` is paid on every start. Node's built-in undici
// (fetch, WebSocket) cost 30 ms there when core imported `node:http` as an ES module (its ES module
// view reads node:http's WebSocket exports). A preload records the modules Node has loaded at the
// first write to stdout, the answer to `initialize`.
describe('start-up of every built server: nothing loaded that its first answer does not need', () => {
  const probe = join(dir, 'probe.cjs');
  beforeAll(() =>
    writeFileSync(
      probe,
      `const fs = require('node:fs');
const write = process.stdout.write;
let seen = false;
process.stdout.write = function (...a) {
  if (!seen) { seen = true; fs.writeFileSync(process.env.PROBE_OUT, process.moduleLoadList.join('\\n')); }
  return write.apply(this, a);
};
`,
    ),
  );
  const servers = readdirSync(join(import.meta.dirname, '..', 'packages')).filter((p) => p !== 'core');
  const args: Record<string, string[]> = { filesystem: [dir] };
  it.each(servers)('%s', async (name) => {
    const out = join(dir, `modules-${name}.txt`);
    const run = await rawStdio(builtBin(name), jsonLines([]), {
      nodeArgs: ['--require', probe],
      args: args[name] ?? [],
      env: { PROBE_OUT: out, DATABASE_URL: 'postgres://127.0.0.1:9/none', API_BASE_URL: 'http://127.0.0.1:9/' },
    });
    expect(run.messages[0].result.serverInfo, run.stderr.slice(-500)).toBeDefined();
    const loaded = readFileSync(out, 'utf8').split('\n');
    expect(loaded.length).toBeGreaterThan(50); // the list was read
    expect(loaded.filter((m) => /undici/.test(m))).toEqual([]);
  });
});
