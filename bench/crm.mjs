// bizmcp-crm: start-up to the initialize answer alternated with core's echo server (the HubSpot and
// Salesforce SDKs are not loaded until the first call), and search_records paging through 1 000
// companies, 100 a page, through the MCP server against the same searches made directly with
// @hubspot/api-client, both against the demo's local HubSpot stand-in (packages/crm/demo.mjs; not
// HubSpot): the server time added per page is the difference.
// No peer: @hubspot/mcp-server needs a HubSpot account behind it, and no peer serves both CRMs.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DEMO_TOKEN, startLocalHubSpot } from '../packages/crm/demo.mjs';
import { envSize, fmt, lower, median, RawServer, reportRatios, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'packages/crm/package.json'));
const { Client } = require('@hubspot/api-client');
const ROUNDS = envSize('BENCH_STARTUP_ROUNDS', 9, 7);
const PASSES = envSize('BENCH_PASSES', 5, 2);

const local = await startLocalHubSpot({ companies: 1000 });
const env = {
  CRM_PROVIDER: 'hubspot',
  HUBSPOT_ACCESS_TOKEN: DEMO_TOKEN,
  HUBSPOT_BASE_URL: local.url,
  LOG_LEVEL: 'warn',
  BIZMCP_RATE_LIMIT: '1000000/60',
  BIZMCP_RATE_LIMIT_SEARCH_RECORDS: '1000000/60',
};
const bin = join(root, 'packages/crm/dist/index.js');
const echoBin = join(root, 'packages/core/dist/echo-server.js');

const echoMs = [];
const crmMs = [];
for (let i = 0; i < ROUNDS; i++) {
  for (const [make, into] of [
    [() => new RawServer(process.execPath, [echoBin], { LOG_LEVEL: 'warn' }), echoMs],
    [() => new RawServer(process.execPath, [bin], env), crmMs],
  ]) {
    const srv = make();
    into.push(await srv.start());
    await srv.stop();
  }
}
const echoBoot = median(echoMs);
const crmBoot = median(crmMs);

const args = { object_type: 'companies', filters: [{ property: 'name', operator: 'contains', value: 'acme' }], properties: ['name', 'domain'], limit: 100 };
const s = new RawServer(process.execPath, [bin], env);
await s.start();
const idleRss = s.rssMb();
async function viaMcp() {
  const times = [];
  let cursor;
  let rows = 0;
  do {
    const t0 = performance.now();
    const r = await s.call('search_records', { ...args, ...(cursor ? { cursor } : {}) });
    times.push(performance.now() - t0);
    if (r.isError) throw new Error(JSON.stringify(r.content));
    rows += r.structuredContent.records.length;
    cursor = r.structuredContent.nextCursor;
  } while (cursor);
  return { times, rows };
}
const sdk = new Client({ accessToken: DEMO_TOKEN, basePath: local.url, numberOfApiCallRetries: 0 });
async function direct() {
  const times = [];
  let after;
  let rows = 0;
  do {
    const t0 = performance.now();
    const r = await sdk.crm.objects.searchApi.doSearch('companies', {
      limit: 100,
      ...(after ? { after } : {}),
      filterGroups: [{ filters: [{ propertyName: 'name', operator: 'CONTAINS_TOKEN', value: '*acme*' }] }],
      properties: ['name', 'domain'],
    });
    times.push(performance.now() - t0);
    rows += r.results.length;
    after = r.paging?.next?.after;
  } while (after);
  return { times, rows };
}
await viaMcp(); // warm: loads the SDK
await direct();
const rssLoaded = s.rssMb();
const m = [];
const d = [];
let pages = 0;
let rows = 0;
for (let i = 0; i < PASSES; i++) {
  const a = await viaMcp();
  const b = await direct();
  m.push(...a.times);
  d.push(...b.times);
  pages = a.times.length;
  rows = a.rows;
}
await s.stop();
await local.close();

const mm = median(m);
const dm = median(d);
console.log(`\nCRM server (${new Date().toISOString().slice(0, 10)}, ${process.version}; local HubSpot stand-in, not HubSpot)\n`);
console.log(
  table(
    [
      { what: `start-up, core echo server (median of ${ROUNDS}, alternated)`, value: `${fmt(echoBoot)} ms` },
      { what: `start-up, bizmcp-crm (median of ${ROUNDS}, alternated)`, value: `${fmt(crmBoot)} ms (${(crmBoot / echoBoot).toFixed(2)}x echo; target at most 1.2x)` },
      { what: 'idle RSS after start (SDKs not loaded)', value: `${fmt(idleRss)} MB` },
      { what: 'RSS after the first searches (HubSpot SDK loaded)', value: `${fmt(rssLoaded)} MB` },
      { what: `search_records, ${rows} records in ${pages} pages of 100, ${PASSES} passes`, value: `${fmt(mm, 2)} ms/page (median)` },
      { what: 'the same searches with @hubspot/api-client, direct', value: `${fmt(dm, 2)} ms/page (median)` },
    ],
    ['what', 'value'],
  ),
);
console.log(`\nserver time added per page: ${(mm - dm).toFixed(2)} ms (${(mm / dm).toFixed(2)}x the direct SDK call)`);
reportRatios({
  'start-up, bizmcp-crm / core echo': lower(crmBoot / echoBoot),
  'search_records per-page time, bizmcp / direct @hubspot/api-client': lower(mm / dm),
});
