// bizmcp-filesystem vs @modelcontextprotocol/server-filesystem, side by side in one run:
// start-up and idle RSS, get_file_info throughput, search_files and directory_tree on a generated
// 100 000-file tree, tail of a 2 GB (sparse) file, and search_file_contents beside grep -r.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, higher, lower, median, quick, RawServer, reportRatios, sized, startup, table } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const ours = process.env.BENCH_FS_BIN ?? join(root, 'packages/filesystem/dist/index.js'); // another build for an A/B
const ref = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
// The short run (BENCH_QUICK=1) has its own tree of 10 000 files, so the full one is kept.
const work = join(tmpdir(), quick ? 'bizmcp-bench-fs-quick' : 'bizmcp-bench-fs');
const DIRS = sized(100, 10);
const files = quick ? '10 000' : '100 000';
const tree = join(work, 'tree');
const big = join(work, 'big.log');

// ---- fixtures (kept between runs) ----
mkdirSync(work, { recursive: true });
if (!existsSync(join(tree, `d${DIRS - 1}`, 's9', 'f99.txt'))) {
  console.log(`generating ${files} files…`);
  for (let d = 0; d < DIRS; d++)
    for (let s = 0; s < 10; s++) {
      const dir = join(tree, `d${d}`, `s${s}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, `f${f}.txt`), `file ${d}/${s}/${f}\ninvoice ${d * 1000 + s * 100 + f}\n`);
    }
}
if (!existsSync(big)) {
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 2 * 1024 ** 3);
  const tail = Array.from({ length: 20 }, (_, i) => `tail line ${i + 1}`).join('\n') + '\n';
  writeSync(fd, tail, 2 * 1024 ** 3 - Buffer.byteLength(tail));
  closeSync(fd);
}

const servers = {
  bizmcp: () => new RawServer(process.execPath, [ours, work], { LOG_LEVEL: 'warn' }),
  reference: () => new RawServer(process.execPath, [ref, work]),
};

// get_file_info throughput: both servers running, rounds interleaved (one round of each in turn,
// median per server), so that a change in the machine's load falls on both alike.
const info = ['get_file_info', { path: join(tree, 'd1', 's1', 'f1.txt') }];
const rate = {};
{
  const running = Object.fromEntries(Object.entries(servers).map(([name, make]) => [name, make()]));
  for (const s of Object.values(running)) {
    await s.start();
    await s.sequential(...info, 1000);
    await s.pipelined(...info, 1000);
  }
  const rounds = Object.fromEntries(Object.keys(running).map((name) => [name, { seq: [], pipe: [] }]));
  for (let round = 0; round < sized(5, 3); round++) {
    for (const [name, s] of Object.entries(running)) {
      rounds[name].seq.push(await s.sequential(...info, 2000));
      rounds[name].pipe.push(await s.pipelined(...info, 2000));
    }
  }
  for (const [name, s] of Object.entries(running)) {
    rate[name] = { seq: median(rounds[name].seq), pipe: median(rounds[name].pipe) };
    await s.stop();
  }
}

const rows = [];
const res = {};
for (const [name, make] of Object.entries(servers)) {
  const st = await startup(make, sized(7, 5));
  const s = make();
  await s.start();
  const { seq, pipe } = rate[name];
  await s.sequential(...info, 1000); // the walks below run in a warmed-up process, as they did after the throughput rounds
  const rss0 = s.rssMb();
  const time = async (tool, args) => {
    const t0 = performance.now();
    const r = await s.call(tool, args, { timeout: 600_000 });
    return { ms: performance.now() - t0, r };
  };
  // One walk of the tree each, as always. The short run walks once unmeasured, then takes the
  // median of 3: on its 10 000-file tree a single walk of ours (25-100 ms) is mostly warm-up and noise.
  const walk = async (tool, args) => {
    if (quick) await time(tool, args);
    const runs = [];
    for (let i = 0; i < sized(1, 3); i++) runs.push(await time(tool, args));
    return runs.sort((a, b) => a.ms - b.ms)[runs.length >> 1];
  };
  const search = await walk('search_files', { path: tree, pattern: 'f42.txt', ...(name === 'bizmcp' ? { maxResults: 10_000 } : {}) });
  const treeRun = await walk('directory_tree', { path: tree, ...(name === 'bizmcp' ? { maxDepth: 100, maxEntries: 50_000 } : {}) });
  const tail = await time('read_text_file', { path: big, tail: 10 });
  const peak = s.peakRssMb();
  res[name] = { st, seq, pipe, search, treeRun, tail, rss0, peak };
  rows.push({
    server: name,
    'start-up ms': fmt(st.ms),
    'idle RSS MB': fmt(st.rssMb),
    'get_file_info seq/s': fmt(seq, 0),
    'pipelined/s': fmt(pipe, 0),
    'search_files ms': fmt(search.ms, 0),
    'directory_tree ms': fmt(treeRun.ms, 0),
    'tail 2 GB ms': fmt(tail.ms, 1),
    'peak RSS MB': fmt(peak, 0),
  });
  await s.stop();
}

// search_file_contents (ours only: the reference has no content search) beside grep -r. One
// untimed grep first: the tree's contents may have left the page cache since it was made, and
// whichever runs first would pay for reading it from disk.
spawnSync('grep', ['-rn', 'invoice 4242', tree], { encoding: 'utf8' });
const s = servers.bizmcp();
await s.start();
const t0 = performance.now();
const grepRes = await s.call('search_file_contents', { path: tree, query: 'invoice 4242\n'.trim(), maxResults: 1000 }, { timeout: 600_000 });
const oursGrepMs = performance.now() - t0;
await s.stop();
const g0 = performance.now();
spawnSync('grep', ['-rn', 'invoice 4242', tree], { encoding: 'utf8' });
const grepMs = performance.now() - g0;

console.log(`\nFilesystem (${new Date().toISOString().slice(0, 10)}, ${process.version}, tree of ${files} files)\n`);
console.log(table(rows, Object.keys(rows[0])));
const o = res.bizmcp;
const r = res.reference;
const entries = (x) => x.r.structuredContent?.entries ?? 'all';
console.log(`\nstart-up ratio ${(o.st.ms / r.st.ms).toFixed(2)}x (target <= 0.6), idle RSS ratio ${(o.st.rssMb / r.st.rssMb).toFixed(2)}x (target <= 0.9)`);
console.log(`get_file_info throughput: sequential ${(o.seq / r.seq).toFixed(2)}x, pipelined ${(o.pipe / r.pipe).toFixed(2)}x (target >= 1.5)`);
console.log(
  `search_files: ${(r.search.ms / o.search.ms).toFixed(1)}x faster (target >= 3); directory_tree: ${(r.treeRun.ms / o.treeRun.ms).toFixed(1)}x faster (ours capped at ${entries(o.treeRun)} entries, the reference returns the whole tree; ${Math.round(JSON.stringify(r.treeRun.r).length / 1024)} kB vs ${Math.round(JSON.stringify(o.treeRun.r).length / 1024)} kB)`,
);
console.log(`tail: 10 lines of a 2 GB file: ours ${o.tail.ms.toFixed(1)} ms, reference ${r.tail.ms.toFixed(1)} ms`);
console.log(`search_file_contents over ${files} files: ${oursGrepMs.toFixed(0)} ms (${grepRes.structuredContent?.matches?.length} match) vs grep -rn ${grepMs.toFixed(0)} ms`);
reportRatios({
  'start-up, bizmcp / reference': lower(o.st.ms / r.st.ms),
  'idle RSS, bizmcp / reference': lower(o.st.rssMb / r.st.rssMb),
  'get_file_info sequential throughput, bizmcp / reference': higher(o.seq / r.seq),
  'get_file_info pipelined throughput, bizmcp / reference': higher(o.pipe / r.pipe),
  'search_files time, reference / bizmcp': higher(r.search.ms / o.search.ms),
  'directory_tree time, reference / bizmcp': higher(r.treeRun.ms / o.treeRun.ms),
  'search_file_contents time, bizmcp / grep -rn': lower(oursGrepMs / grepMs),
});
