// bizmcp-google-workspace: start-up to the initialize answer against core's echo server in the same
// run (spawned in alternation, so both see the same machine load; the Google clients are not
// loaded at start-up), the size of tools/list in tokens (characters / 4 of the JSON the server
// sends: an estimate, a model's own tokenizer differs by some 10 to 20 %) for the default toolsets
// and for all, per toolset; and a 10 000-row sheet read through sheets_read_range, paged by the
// cell cap (GOOGLE_MAX_CELLS), against the local stand-in of packages/google-workspace/demo.mjs:
// time, pages, and the server's peak RSS. No peer: the most complete peer server is Python
// (workspace-mcp) and is not on the npm registry.
import { join } from 'node:path';
import { startLocalGoogle, storedAuthorisation } from '../packages/google-workspace/demo.mjs';
import { envSize, fmt, lower, median, RawServer, reportRatios, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'packages/google-workspace/dist/index.js');
const echoBin = join(root, 'packages/core/dist/echo-server.js');
const ROWS = envSize('BENCH_SHEET_ROWS', 10_000, 5000);
const ROUNDS = envSize('BENCH_STARTUP_ROUNDS', 9, 7);

const g = await startLocalGoogle({ rows: ROWS, expireAfter: Number.MAX_SAFE_INTEGER });
const config = storedAuthorisation(g.tokenUrl);
const env = { BIZMCP_CONFIG_DIR: config, HOME: config, GOOGLE_API_ROOT_URL: g.url, GOOGLE_OAUTH_TOKEN_URL: g.tokenUrl, GOOGLE_OAUTH_CLIENT_ID: 'demo-client', LOG_LEVEL: 'warn' };

// Start-up, alternated with the echo server.
const echoMs = [];
const gwMs = [];
let idleRss = 0;
for (let i = 0; i < ROUNDS; i++) {
  for (const [make, into] of [
    [() => new RawServer(process.execPath, [echoBin], { LOG_LEVEL: 'warn' }), echoMs],
    [() => new RawServer(process.execPath, [bin], env), gwMs],
  ]) {
    const srv = make();
    into.push(await srv.start());
    if (into === gwMs) idleRss = srv.rssMb();
    await srv.stop();
  }
}

// tools/list sizes.
const tokens = (v) => Math.round(JSON.stringify(v).length / 4);
async function listed(args) {
  const s = new RawServer(process.execPath, [bin, ...args], env);
  await s.start();
  const r = await s.request('tools/list', {});
  await s.stop();
  return r;
}
const defaults = await listed([]);
const all = await listed(['--toolsets', 'all']);
const perToolset = {};
for (const t of all.tools) {
  const set = t.name.split('_')[0];
  perToolset[set] ??= { toolset: set, tools: 0, tokens: 0, default: defaults.tools.some((d) => d.name === t.name) ? 'yes' : 'no' };
  perToolset[set].tools++;
  perToolset[set].tokens += tokens(t);
}

// A 10 000-row sheet, read page by page.
const s = new RawServer(process.execPath, [bin], env);
await s.start();
const rssBefore = s.rssMb();
await s.call('sheets_read_range', { spreadsheet_id: 'demo-sheet', range: 'Data!A1:C2' }); // loads the Sheets client, obtains a token
const rssLoaded = s.rssMb();
const t0 = performance.now();
let cursor;
let pages = 0;
let rows = 0;
do {
  const r = await s.call('sheets_read_range', { spreadsheet_id: 'demo-sheet', range: 'Data!A1:C', ...(cursor ? { cursor } : {}) });
  if (r.isError) throw new Error(JSON.stringify(r.content));
  pages++;
  rows += r.structuredContent.rowCount;
  cursor = r.structuredContent.nextCursor;
} while (cursor);
const readMs = performance.now() - t0;
const peak = s.peakRssMb();
await s.stop();
await g.close();
if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);

const echo = median(echoMs);
const gw = median(gwMs);
console.log(`\nbizmcp-google-workspace (${new Date().toISOString().slice(0, 10)}, ${process.version})\n`);
console.log(
  table(
    [
      { server: 'core echo server (floor)', 'start-up ms': fmt(echo) },
      { server: 'bizmcp-google-workspace', 'start-up ms': fmt(gw) },
    ],
    ['server', 'start-up ms'],
  ),
);
console.log(`\nstart-up (median of ${ROUNDS} each, alternated): bizmcp-google-workspace / echo = ${(gw / echo).toFixed(2)}x (target: at most 1.2x); idle RSS ${fmt(idleRss)} MB`);
console.log(`\ntools/list: default toolsets ${defaults.tools.length} tools, about ${tokens(defaults)} tokens; all toolsets ${all.tools.length} tools, about ${tokens(all)} tokens (characters / 4)\n`);
console.log(table(Object.values(perToolset), ['toolset', 'default', 'tools', 'tokens']));
console.log(`\n${ROWS}-row sheet (3 columns) read with sheets_read_range, GOOGLE_MAX_CELLS 10000: ${pages} pages, ${fmt(readMs)} ms in all (${fmt(readMs / pages)} ms/page)`);
console.log(`server RSS: ${fmt(rssBefore)} MB idle, ${fmt(rssLoaded)} MB with the Sheets client loaded, peak ${fmt(peak)} MB over the read`);
console.log(`stand-in: ${g.stats.tokenRequests} token request(s); requests ${JSON.stringify(g.stats.byPath)}`);
reportRatios({ 'start-up, bizmcp-google-workspace / core echo': lower(gw / echo) });
