// --http under load and abuse (issue 11's figures), against the core echo server (built fixture):
//   load: 20 concurrent clients, each its own session, calling a trivial tool; server CPU time per
//         call compared with a bare SDK Streamable HTTP server (bench/fixtures/bare-sdk-http-server.mjs)
//         doing the same, interleaved rounds, median;
//   soak: sessions opened (initialize, one call) and abandoned for BENCH_SOAK_MS (default 60 s);
//         then the idle timeout closes them: the open count must return to zero and RSS near its baseline.
// Raw HTTP requests (keep-alive agent), no client library in the measurement.
// Usage: node bench/http.mjs [load|soak] (default both), after `npm run build`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { envSize, fmt, lower, median, reportRatios, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const echoBin = join(root, 'packages', 'core', 'dist', 'echo-server.js');
const bareBin = join(import.meta.dirname, 'fixtures', 'bare-sdk-http-server.mjs');
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const CALLS = envSize('BENCH_CALLS_PER_CLIENT', 250, 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SOAK_MS = envSize('BENCH_SOAK_MS', 60_000, 15_000);
const IDLE_MS = envSize('BENCH_IDLE_MS', 5000, 2000);
const what = process.argv[2] ?? 'both';

function startServer(bin, args, env = {}) {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"url":"([^"]+)"/.exec(err);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
    child.on('exit', (c) => reject(new Error(`server exited ${c}: ${err}`)));
  });
}
const procStat = (pid) =>
  readFileSync(`/proc/${pid}/stat`, 'utf8')
    .slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2)
    .split(' ');
const cpuMs = (pid) => {
  const f = procStat(pid);
  return (Number(f[11]) + Number(f[12])) * 10;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(url, body, sid) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    if (sid) headers['mcp-session-id'] = sid;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode, sid: res.headers['mcp-session-id'], body: b }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const get = (url, path) =>
  new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path, agent }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    })
      .on('error', reject)
      .end();
  });

async function openSession(url) {
  const init = await post(url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } });
  if (init.status !== 200) throw new Error(`initialize: ${init.status} ${init.body}`);
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.sid);
  return init.sid;
}
async function client(url, calls) {
  const sid = await openSession(url);
  for (let i = 0; i < calls; i++) {
    const r = await post(url, { jsonrpc: '2.0', id: i + 2, method: 'tools/call', params: { name: 'echo', arguments: { text: `call ${i}` } } }, sid);
    if (!r.body.includes(`call ${i}`)) throw new Error(`bad answer: ${r.status} ${r.body.slice(0, 200)}`);
  }
}

async function load() {
  const servers = [
    { name: 'bizmcp (core echo, --http)', srv: await startServer(echoBin, ['--http', '--port', '0', '--no-auth'], { BIZMCP_HTTP_MAX_SESSIONS: '10000' }) },
    { name: 'bare SDK Streamable HTTP', srv: await startServer(bareBin, []) },
  ];
  for (const s of servers) {
    s.cpu = [];
    await Promise.all(Array.from({ length: CLIENTS }, () => client(s.srv.url, CALLS))); // warm-up: one discarded round (JIT)
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of servers) {
      const pid = s.srv.child.pid;
      const c0 = cpuMs(pid);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, () => client(s.srv.url, CALLS)));
      const ms = performance.now() - t0;
      s.cpu.push(((cpuMs(pid) - c0) * 1000) / (CLIENTS * CALLS));
      s.rate = [...(s.rate ?? []), (CLIENTS * CALLS * 1000) / ms];
      s.rss = rssMb(pid);
    }
  }
  const rows = servers.map((s) => ({
    server: s.name,
    'server CPU µs/call': fmt(median(s.cpu), 0),
    'calls/s': fmt(median(s.rate), 0),
    'RSS MB': fmt(s.rss),
    rounds: s.cpu.map((x) => x.toFixed(0)).join(' '),
  }));
  console.log(`\n--http load: ${CLIENTS} concurrent clients x ${CALLS} calls, ${ROUNDS} interleaved rounds (median); ${new Date().toISOString().slice(0, 10)}; node ${process.version}\n`);
  console.log(table(rows, ['server', 'server CPU µs/call', 'calls/s', 'RSS MB', 'rounds']));
  console.log(`\nserver CPU per call: bizmcp / bare SDK = ${(median(servers[0].cpu) / median(servers[1].cpu)).toFixed(2)}x (target <= 1.10x)`);
  ratios['load: server CPU per call, bizmcp / bare SDK'] = lower(median(servers[0].cpu) / median(servers[1].cpu));
  for (const s of servers) s.srv.child.kill();
}

async function soak() {
  const { child, url } = await startServer(echoBin, ['--http', '--port', '0', '--no-auth'], {
    BIZMCP_HTTP_MAX_SESSIONS: '100000',
    BIZMCP_HTTP_SESSION_IDLE_MS: String(IDLE_MS),
    ...(process.env.BENCH_HEAP_MB ? { NODE_OPTIONS: `--max-old-space-size=${process.env.BENCH_HEAP_MB}` } : {}),
  });
  const health = async () => JSON.parse(await get(url, '/health')).sessions;
  await Promise.all(Array.from({ length: 10 }, () => client(url, 5))); // warm-up
  const settle = async () => {
    for (let i = 0; i < 600 && (await health()) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    // the server hands memory back in two passes, the second 5 s after the first (core http.ts)
    await new Promise((r) => setTimeout(r, 7000));
  };
  await settle();
  const baseline = rssMb(child.pid);
  let opened = 0;
  let peakRss = baseline;
  let peakOpen = 0;
  const end = Date.now() + SOAK_MS;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (Date.now() < end) {
        const sid = await openSession(url);
        await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }, sid);
        opened++;
        if (opened % 200 === 0) {
          peakRss = Math.max(peakRss, rssMb(child.pid));
          peakOpen = Math.max(peakOpen, await health());
        }
      }
    }),
  );
  const atEnd = await health();
  await settle();
  const after = rssMb(child.pid);
  const left = await health();
  const metrics = await get(url, '/metrics');
  ratios['soak: RSS after the sessions expired / RSS before'] = lower(after / baseline);
  console.log(`\n--http soak: sessions opened and abandoned for ${SOAK_MS / 1000} s, idle timeout ${IDLE_MS / 1000} s; ${new Date().toISOString().slice(0, 10)}; node ${process.version}\n`);
  console.log(
    table(
      [
        {
          opened,
          'peak open': Math.max(peakOpen, atEnd),
          'open after idle': left,
          'RSS baseline MB': fmt(baseline),
          'RSS peak MB': fmt(peakRss),
          'RSS after MB': fmt(after),
          'after / baseline': (after / baseline).toFixed(2),
        },
      ],
      ['opened', 'peak open', 'open after idle', 'RSS baseline MB', 'RSS peak MB', 'RSS after MB', 'after / baseline'],
    ),
  );
  console.log(
    metrics
      .split('\n')
      .filter((l) => /^mcp_http_(sessions|memory)/.test(l))
      .join('\n'),
  );
  child.kill();
}

const ratios = {};
if (what === 'load' || what === 'both') await load();
if (what === 'soak' || what === 'both') await soak();
reportRatios(ratios);
agent.destroy();
