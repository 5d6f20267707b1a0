// bizmcp-http-api call overhead: api_get through the MCP server (stdio, raw JSON-RPC) against a
// direct undici request to the same local server, sequential, in one run.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { envSize, fmt, lower, median, RawServer, reportRatios, sized, table } from './lib/harness.mjs';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"id":1,"name":"Globex","amount":1200}');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/api`;
const N = envSize('BENCH_CALLS', 2000, 500);

async function direct(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await request(`${base}/items/1`);
    await r.body.json();
  }
  return (performance.now() - t0) / n;
}

const s = new RawServer(process.execPath, [join(import.meta.dirname, '..', 'packages/http-api/dist/index.js')], { API_BASE_URL: base, LOG_LEVEL: 'warn', BIZMCP_RATE_LIMIT_API_GET: '1000000/60' });
const startMs = await s.start();
async function viaMcp(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await s.call('api_get', { endpoint: '/items/1' });
    if (r.isError) throw new Error(JSON.stringify(r.content));
  }
  return (performance.now() - t0) / n;
}
await direct(sized(500, 200));
await viaMcp(sized(500, 200));
const d = [];
const m = [];
for (let round = 0; round < 3; round++) {
  d.push(await direct(N));
  m.push(await viaMcp(N));
}
await s.stop();
server.close();
const dm = median(d);
const mm = median(m);
console.log(`\nHTTP API call overhead (${new Date().toISOString().slice(0, 10)}, ${process.version}, ${N} sequential calls x 3 rounds, median)\n`);
console.log(
  table(
    [
      { path: 'direct undici request', 'ms per call': fmt(dm, 3) },
      { path: 'api_get through bizmcp-http-api (stdio JSON-RPC)', 'ms per call': fmt(mm, 3) },
    ],
    ['path', 'ms per call'],
  ),
);
console.log(`\nadded per call: ${(mm - dm).toFixed(3)} ms (target < 2 ms); start-up ${startMs.toFixed(0)} ms`);
reportRatios({ 'api_get per-call time, bizmcp / direct undici request': lower(mm / dm) });
