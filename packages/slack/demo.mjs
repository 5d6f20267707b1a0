// Demo plan. With SLACK_BOT_TOKEN (or SLACK_USER_TOKEN) and SLACK_DEMO_CHANNEL (a channel id the
// app is in) in the environment, it runs against the real Slack and posts only to that channel.
// Otherwise it runs against a LOCAL STAND-IN for Slack's Web API started here (not Slack), holding a
// workspace of 200 000 users and 50 000 channels, to show that start-up and the first
// read_channel_history do not depend on the workspace's size: nothing is listed ahead, names are
// looked up one by one as results need them. The real tests use a contract-checked fake instead
// (test/fake-slack.ts).
import { createServer } from 'node:http';

const USERS = 200_000;
const CHANNELS = 50_000;

/** The stand-in; `calls` counts requests by method. */
export async function startLocalSlack() {
  const me = 'UDEMOBOT01';
  const uid = (i) => `U${String(i).padStart(9, '0')}`;
  const cid = (i) => `C${String(i).padStart(9, '0')}`;
  const users = new Map();
  for (let i = 0; i < USERS; i++) users.set(uid(i), { id: uid(i), name: `user${i}`, real_name: `User ${i}` });
  users.set(me, { id: me, name: 'demobot', real_name: 'Demo Bot', is_bot: true });
  const channels = new Map();
  for (let i = 0; i < CHANNELS; i++) channels.set(cid(i), { id: cid(i), name: i === 0 ? 'demo' : `channel-${i}`, is_channel: true, is_private: false, is_member: i < 2, num_members: 3, messages: [] });
  const demo = channels.get(cid(0));
  for (let i = 0; i < 30; i++) demo.messages.push({ type: 'message', ts: `${1_714_557_600 + i * 60}.000100`, user: uid(i % 5), text: `status update ${i}` });
  const calls = new Map();
  let clock = 1_714_560_000;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const method = new URL(req.url, 'http://x').pathname.replace(/^\/api\//, '');
      calls.set(method, (calls.get(method) ?? 0) + 1);
      const a = Object.fromEntries(new URLSearchParams(body));
      const send = (o) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      const ch = channels.get(a.channel);
      const view = (c) => {
        const { messages: _m, ...rest } = c;
        return rest;
      };
      switch (method) {
        case 'auth.test':
          return send({ ok: true, user_id: me, bot_id: 'BDEMO0001', team: 'Local stand-in', team_id: 'TDEMO0001', url: 'https://local-stand-in.invalid/' });
        case 'users.info':
          return users.has(a.user) ? send({ ok: true, user: users.get(a.user) }) : send({ ok: false, error: 'user_not_found' });
        case 'conversations.info':
          return ch ? send({ ok: true, channel: view(ch) }) : send({ ok: false, error: 'channel_not_found' });
        case 'conversations.history': {
          if (!ch) return send({ ok: false, error: 'channel_not_found' });
          const limit = Number(a.limit ?? 100);
          const all = [...ch.messages].reverse();
          return send({ ok: true, messages: all.slice(0, limit), has_more: all.length > limit, response_metadata: { next_cursor: all.length > limit ? 'bmV4dA==' : '' } });
        }
        case 'conversations.list': {
          const limit = Number(a.limit ?? 100);
          const start = Number(a.cursor ?? 0);
          const list = [...channels.values()].slice(start, start + limit).map(view);
          return send({ ok: true, channels: list, response_metadata: { next_cursor: start + limit < channels.size ? String(start + limit) : '' } });
        }
        case 'chat.postMessage': {
          if (!ch) return send({ ok: false, error: 'channel_not_found' });
          const m = { type: 'message', ts: `${clock++}.000100`, user: me, text: a.text ?? '' };
          ch.messages.push(m);
          return send({ ok: true, channel: ch.id, ts: m.ts, message: m });
        }
        case 'reactions.add':
          return send({ ok: true });
        default:
          return send({ ok: false, error: 'unknown_method' });
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/api/`;
  return { url, calls, demoChannel: cid(0), otherChannel: cid(1), close: () => new Promise((r) => server.close(r)) };
}

export default {
  async prepare() {
    const real = (process.env.SLACK_BOT_TOKEN || process.env.SLACK_USER_TOKEN) && process.env.SLACK_DEMO_CHANNEL;
    if (real) {
      const channel = process.env.SLACK_DEMO_CHANNEL;
      return {
        note: `against the real Slack, token from the environment, writes allowed only in ${channel}`,
        env: {
          ...(process.env.SLACK_BOT_TOKEN ? { SLACK_BOT_TOKEN: process.env.SLACK_BOT_TOKEN } : {}),
          ...(process.env.SLACK_USER_TOKEN ? { SLACK_USER_TOKEN: process.env.SLACK_USER_TOKEN } : {}),
          SLACK_ALLOWED_CHANNELS: channel,
        },
        calls: [
          { name: 'read_channel_history', arguments: { channel, limit: 3 } },
          { name: 'send_message', arguments: { channel, text: 'Hello from the bizmcp Slack demo <!here> (the mention is neutralised)' } },
          { name: 'list_channels', arguments: { limit: 3 } },
        ],
      };
    }
    const slack = await startLocalSlack();
    return {
      note: `LOCAL STAND-IN for Slack at ${slack.url} (not Slack): ${USERS} users, ${CHANNELS} channels; writes allowed only in #demo`,
      env: { SLACK_BOT_TOKEN: 'xoxb-local-demo-token', SLACK_API_URL: slack.url, SLACK_ALLOWED_CHANNELS: '#demo' },
      calls: [
        { name: 'read_channel_history', arguments: { channel: slack.demoChannel, limit: 5 } },
        { name: 'send_message', arguments: { channel: slack.demoChannel, text: 'Deploy finished <!channel>' } },
        { name: 'send_message', arguments: { channel: slack.otherChannel, text: 'not allowed here' }, expectError: true },
        { name: 'add_reaction', arguments: { channel: slack.demoChannel, timestamp: '1714557600.000100', name: 'white_check_mark' } },
        { name: 'get_channel_info', arguments: { channel: '#demo' } },
        { name: 'list_channels', arguments: { limit: 3 } },
      ],
      cleanup: async () => {
        process.stdout.write(`\n(stand-in: requests by method ${JSON.stringify(Object.fromEntries(slack.calls))}: no workspace listing at start)\n`);
        await slack.close();
      },
    };
  },
};
