// bizmcp-email latency on a 10 000-message mailbox (local dovecot): read_inbox and search_emails
// over stdio JSON-RPC, side by side with the same IMAP work done directly with imapflow in this
// process (the protocol floor: one UID SEARCH + one FETCH of the page).
//
// No npm peer runs here: @codefuturist/email-mcp requires Node >= 22 (this project targets 20) and
// mcp-email-server (ai-zerolab) is a Python package, so the comparison is against the floor.
// Needs root and Debian's dovecot-imapd (as the tests do); run `npm run build` first.
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot } from '@bizmcp/email/testing';
import { envSize, fmt, lower, median, RawServer, reportRatios, sized, startup, table } from './lib/harness.mjs';

const N = envSize('BENCH_MESSAGES', 10_000, 2000);
const RUNS = envSize('BENCH_RUNS', 30, 15);
const USER = { user: 'bench@example.test', password: 'bench-pw' };

function* messages(n) {
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const subject = i % 100 === 0 ? `Invoice ${i}` : `Message ${i}`;
    yield [
      `From: Sender ${i % 37} <sender${i % 37}@example.test>`,
      `To: ${USER.user}`,
      `Subject: ${subject}`,
      `Date: ${new Date(t0 + i * 60_000).toUTCString()}`,
      `Message-ID: <bench-${i}@example.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of message ${i}: quarterly figures, meeting notes and a few lines of ordinary text.`,
      'Regards,',
      `Sender ${i % 37}`,
      '',
    ].join('\r\n');
  }
}

const t0 = performance.now();
const dovecot = await startDovecot({ users: [USER], prefill: (d) => void d.writeMany(USER.user, messages(N), { seen: false }) });
const prepMs = performance.now() - t0;
const env = {
  EMAIL_ADDRESS: USER.user,
  EMAIL_PASSWORD: USER.password,
  IMAP_HOST: '127.0.0.1',
  IMAP_PORT: String(dovecot.port),
  IMAP_SECURE: 'false',
  LOG_LEVEL: 'warn',
};
const bin = join(import.meta.dirname, '..', 'packages/email/dist/index.js');

try {
  const start = await startup(() => new RawServer(process.execPath, [bin], env), sized(5, 3));
  const s = new RawServer(process.execPath, [bin], env);
  await s.start();
  const call = async (name, args) => {
    const t = performance.now();
    const r = await s.call(name, args);
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
    return { ms: performance.now() - t, r: r.structuredContent };
  };
  const first = await call('read_inbox', { limit: 20 }); // connects, logs in, selects, indexes

  // the floor: the same work with imapflow directly
  const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: USER.user, pass: USER.password }, logger: false });
  await c.connect();
  const direct = async (criteria, limit, withSource, beforeUid = Infinity) => {
    const t = performance.now();
    const lock = await c.getMailboxLock('INBOX', { readOnly: true });
    try {
      await c.noop();
      const uids = (await c.search(criteria, { uid: true }))
        .filter((u) => u < beforeUid)
        .sort((a, b) => b - a)
        .slice(0, limit);
      const q = { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true, ...(withSource ? { source: { maxLength: 16384 } } : {}) };
      const out = [];
      for await (const m of c.fetch(uids, q, { uid: true })) out.push(m);
      return performance.now() - t;
    } finally {
      lock.release();
    }
  };

  const cases = [
    { name: 'read_inbox, first page of 20 (snippets)', mcp: () => call('read_inbox', { limit: 20 }), floor: () => direct({ all: true }, 20, true) },
    { name: 'read_inbox, page of 100 (no snippets)', mcp: () => call('read_inbox', { limit: 100, snippets: false }), floor: () => direct({ all: true }, 100, false) },
    { name: 'read_inbox, unread only, 20', mcp: () => call('read_inbox', { limit: 20, unread_only: true }), floor: () => direct({ seen: false }, 20, true) },
    { name: 'search_emails subject (100 hits), 20', mcp: () => call('search_emails', { subject: 'Invoice', limit: 20 }), floor: () => direct({ subject: 'Invoice' }, 20, true) },
    { name: 'search_emails from, 20', mcp: () => call('search_emails', { from: 'sender7@', limit: 20 }), floor: () => direct({ from: 'sender7@' }, 20, true) },
    { name: 'search_emails body (full scan), 20', mcp: () => call('search_emails', { body: 'message 4242:', limit: 20 }), floor: () => direct({ body: 'message 4242:' }, 20, true) },
  ];
  // a deep page: 50 pages down through cursors
  let cursor;
  for (let p = 0; p < 50; p++) cursor = (await call('read_inbox', { limit: 20, snippets: false, ...(cursor ? { cursor } : {}) })).r.nextCursor;
  const deepBefore = JSON.parse(Buffer.from(cursor, 'base64url').toString()).b;
  cases.push({ name: 'read_inbox, page 51 via cursor, 20', mcp: () => call('read_inbox', { limit: 20, cursor }), floor: () => direct({ all: true }, 20, true, deepBefore) });

  const rows = [];
  const ratios = {};
  for (const k of cases) {
    for (let i = 0; i < sized(3, 2); i++) await k.mcp(), await k.floor(); // warm-up
    const a = [];
    const b = [];
    for (let i = 0; i < RUNS; i++) {
      a.push((await k.mcp()).ms);
      b.push(await k.floor());
    }
    const m = median(a);
    const f = median(b);
    ratios[`${k.name}: bizmcp / imapflow floor`] = lower(m / f);
    rows.push({ case: k.name, 'bizmcp ms': fmt(m, 2), 'imapflow floor ms': fmt(f, 2), ratio: `${fmt(m / f, 2)}x` });
  }
  await c.logout();
  await s.stop();
  const date = new Date().toISOString().slice(0, 10);
  console.log(`Email latency on a ${N}-message INBOX (${date}, Node ${process.version}, 2 cores, local dovecot ${'2.3'}, median of ${RUNS})\n`);
  console.log(table(rows, ['case', 'bizmcp ms', 'imapflow floor ms', 'ratio']));
  console.log(
    `\nstart-up (initialize answered) ${fmt(start.ms, 0)} ms, idle RSS ${fmt(start.rssMb, 0)} MB; first read_inbox (connect + login + select) ${fmt(first.ms, 0)} ms; mailbox generated in ${fmt(prepMs, 0)} ms`,
  );
  reportRatios(ratios);
} finally {
  await dovecot.stop();
}
