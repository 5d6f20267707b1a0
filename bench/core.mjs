// Core's overhead, side by side in one run: a bizmcp server built from core (the echo fixture,
// bundled), a bare SDK server (unbundled, McpServer + one tool), and the reference
// @modelcontextprotocol/server-filesystem from npm. Start-up = spawn → initialize answered.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { envSize, fmt, lower, median, RawServer, reportRatios, sized, startup, table } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'bizmcp-bench-'));
const refBin = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

// BENCH_BASELINE_DIST=<a copy of packages/core/dist built from another commit> adds that build as a
// row, so a change to the call path is compared with the code before it in the same run.
const baseline = process.env.BENCH_BASELINE_DIST;
const servers = {
  'bizmcp (core echo)': { make: () => new RawServer(node, [join(root, 'packages/core/dist/echo-server.js')], { LOG_LEVEL: 'warn' }), tool: ['echo', { text: 'hi' }] },
  ...(baseline ? { 'bizmcp before (baseline build)': { make: () => new RawServer(node, [join(baseline, 'echo-server.js')], { LOG_LEVEL: 'warn' }), tool: ['echo', { text: 'hi' }] } } : {}),
  'bare SDK': { make: () => new RawServer(node, [join(import.meta.dirname, 'fixtures/bare-sdk-server.mjs')]), tool: ['echo', { text: 'hi' }] },
  'server-filesystem (ref)': { make: () => new RawServer(node, [refBin, dir]), tool: ['list_allowed_directories', {}] },
};

const N = envSize('BENCH_CALLS', 3000, 1500);
const WARM = sized(3000, 1000);
const ROUNDS = sized(3, 5); // the short run has fewer calls a round: more rounds steady its median
const rows = [];
const live = {};
for (const [name, s] of Object.entries(servers)) {
  const st = await startup(s.make, sized(7, 5));
  const srv = s.make();
  await srv.start();
  await srv.sequential(...s.tool, WARM); // warm-up: let the JIT settle before measuring
  await srv.pipelined(...s.tool, WARM);
  live[name] = srv;
  rows.push({ server: name, _st: st.ms, _rss: st.rssMb, _seq: [], _pipe: [], _cpu: 0, _calls: 0 });
}
// Interleaved rounds, so background load hits every server alike; the median round is reported.
for (let r = 0; r < ROUNDS; r++) {
  for (const row of rows) {
    const s = servers[row.server];
    const srv = live[row.server];
    const cpu0 = srv.cpuMs();
    row._seq.push(await srv.sequential(...s.tool, N));
    row._pipe.push(await srv.pipelined(...s.tool, N));
    row._cpu += srv.cpuMs() - cpu0;
    row._calls += 2 * N;
  }
}
for (const row of rows) {
  await live[row.server].stop();
  row._seq = median(row._seq);
  row._pipe = median(row._pipe);
  Object.assign(row, {
    'start-up ms': fmt(row._st),
    'idle RSS MB': fmt(row._rss),
    'seq calls/s': fmt(row._seq, 0),
    'pipelined calls/s': fmt(row._pipe, 0),
    'server CPU µs/call': fmt((row._cpu * 1000) / row._calls, 0),
  });
}
console.log(`\nCore overhead (${N} calls of a trivial tool x ${ROUNDS} interleaved rounds, median; ${new Date().toISOString().slice(0, 10)}; node ${process.version})\n`);
console.log(table(rows, ['server', 'start-up ms', 'idle RSS MB', 'seq calls/s', 'pipelined calls/s', 'server CPU µs/call']));
const [ours, ...others] = rows;
const before = baseline ? others.shift() : undefined;
const [bare, ref] = others;
console.log(`\nstart-up: bizmcp / reference = ${(ours._st / ref._st).toFixed(2)}x (target <= 0.6x)`);
console.log(`idle RSS: bizmcp / reference = ${(ours._rss / ref._rss).toFixed(2)}x`);
console.log(`server CPU per call: bizmcp / bare SDK = ${(ours._cpu / ours._calls / (bare._cpu / bare._calls)).toFixed(2)}x (target <= 1.10x)`);
console.log(`per-call time, sequential: bizmcp / bare SDK = ${(bare._seq / ours._seq).toFixed(2)}x `);
console.log(`per-call time, pipelined:  bizmcp / bare SDK = ${(bare._pipe / ours._pipe).toFixed(2)}x`);
if (before) {
  console.log(
    `server CPU per call: bizmcp / baseline build = ${(ours._cpu / ours._calls / (before._cpu / before._calls)).toFixed(2)}x (baseline / bare SDK = ${(before._cpu / before._calls / (bare._cpu / bare._calls)).toFixed(2)}x)`,
  );
  console.log(`per-call time, sequential: bizmcp / baseline build = ${(before._seq / ours._seq).toFixed(2)}x; pipelined: ${(before._pipe / ours._pipe).toFixed(2)}x`);
}
reportRatios({
  'start-up, bizmcp / reference': lower(ours._st / ref._st),
  'idle RSS, bizmcp / reference': lower(ours._rss / ref._rss),
  'server CPU per call, bizmcp / bare SDK': lower(ours._cpu / ours._calls / (bare._cpu / bare._calls)),
  'per-call time sequential, bizmcp / bare SDK': lower(bare._seq / ours._seq),
  'per-call time pipelined, bizmcp / bare SDK': lower(bare._pipe / ours._pipe),
});
