// bizmcp-slack in a large workspace: start-up (spawn → initialize answered) and the first
// read_channel_history of a fresh process, against the local Slack stand-in of the demo holding
// 200 000 users and 50 000 channels, next to core's echo server started the same way in the same run.
// Also counts what the stand-in was asked: no user or channel listing may happen ahead of need.
import { join } from 'node:path';
import { startLocalSlack } from '../packages/slack/demo.mjs';
import { envSize, fmt, lower, median, RawServer, reportRatios, startup, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const node = process.execPath;
const RUNS = envSize('BENCH_RUNS', 9, 3);

const slack = await startLocalSlack();
const env = { SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_API_URL: slack.url, LOG_LEVEL: 'warn' };
const makeSlack = () => new RawServer(node, [join(root, 'packages/slack/dist/index.js')], env);
const makeEcho = () => new RawServer(node, [join(root, 'packages/core/dist/echo-server.js')], { LOG_LEVEL: 'warn' });

// Interleaved: the same background load hits both.
const st = { slack: [], echo: [] };
for (let i = 0; i < 3; i++) {
  st.echo.push((await startup(makeEcho, 3)).ms);
  st.slack.push((await startup(makeSlack, 3)).ms);
}

// The first read of a fresh process: includes the SDK load and auth.test, nothing workspace-wide.
const first = [];
for (let i = 0; i < RUNS; i++) {
  const s = makeSlack();
  await s.start();
  const t0 = performance.now();
  const r = await s.call('read_channel_history', { channel: slack.demoChannel, limit: 20 });
  if (r.isError) throw new Error(`read_channel_history failed: ${JSON.stringify(r.content)}`);
  first.push(performance.now() - t0);
  await s.stop();
}
const calls = Object.fromEntries(slack.calls);
await slack.close();

const rows = [
  { server: 'core echo (floor)', 'start-up ms': fmt(median(st.echo)), 'first read_channel_history ms': '' },
  { server: 'bizmcp-slack', 'start-up ms': fmt(median(st.slack)), 'first read_channel_history ms': fmt(median(first)) },
];
console.log(`\nSlack in a workspace of 200 000 users and 50 000 channels (local stand-in; ${new Date().toISOString().slice(0, 10)}; node ${process.version})\n`);
console.log(table(rows, ['server', 'start-up ms', 'first read_channel_history ms']));
console.log(`\nstart-up: bizmcp-slack / core echo = ${(median(st.slack) / median(st.echo)).toFixed(2)}x`);
console.log(`requests the stand-in received, by method: ${JSON.stringify(calls)}`);
const listed = (calls['users.list'] ?? 0) + (calls['conversations.list'] ?? 0);
console.log(`workspace listings (users.list, conversations.list): ${listed}`);
if (listed) process.exitCode = 1;
reportRatios({ 'start-up, bizmcp-slack / core echo': lower(median(st.slack) / median(st.echo)) });
