// The built binary (dist/index.js) over stdio: the SDK client and raw JSON-RPC lines.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio, textOf } from '@bizmcp/core/testing';
import { ALICE, BOB, rawMessage, startWorld, type World } from './helpers/world.js';

const bin = builtBin('email');
let world: World;

beforeAll(async () => {
  world = await startWorld({ prefill: (d) => void d.deliver(BOB.user, rawMessage({ to: BOB.user, subject: 'Lunch?', messageId: '<lunch@example.test>' })) });
});

afterAll(async () => {
  await world?.close();
});

describe('bizmcp-email binary', () => {
  it('sends, finds, replies with threading headers, and saves a draft over stdio', async () => {
    const alice = await spawnStdio(bin, { env: world.env(ALICE, { EMAIL_SEND_MODE: 'send' }) });
    const bob = await spawnStdio(bin, { env: world.env(BOB) }); // default: draft mode
    try {
      const call = async (c: typeof alice, name: string, args: Record<string, unknown>) => {
        const r = await c.client.callTool({ name, arguments: args });
        if (r.isError) throw new Error(`${name}: ${textOf(r as never)}\n${c.stderr()}`);
        return r.structuredContent as any;
      };
      const sent = await call(alice, 'send_email', { to: [BOB.user], subject: 'Binary hello', text: 'over stdio' });
      expect(sent.status).toBe('sent');
      const found = await call(bob, 'search_emails', { from: 'alice', subject: 'Binary hello' });
      expect(found.messages).toHaveLength(1);
      const before = world.smtp.deliveries.length;
      const reply = await call(bob, 'reply_to_email', { uid: found.messages[0].uid, text: 'got it' });
      expect(reply.status).toBe('draft_saved'); // Bob's server is in the default draft mode
      expect(world.smtp.deliveries.length).toBe(before);
      const drafts = await call(bob, 'get_email', { mailbox: 'Drafts', uid: reply.draft.uid });
      expect(drafts.inReplyTo).toBe(sent.messageId);
      expect(drafts.references).toEqual([sent.messageId]);
      expect(drafts.subject).toBe('Re: Binary hello');
      const inbox = await bob.client.callTool({ name: 'read_inbox', arguments: { limit: 5 } });
      expect(textOf(inbox as never)).toMatch(/Binary hello/);
      expect(alice.stderr()).not.toContain(ALICE.password);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('answers raw JSON-RPC lines, with only protocol on stdout', async () => {
    const run = await rawStdio(
      bin,
      jsonLines([
        { method: 'tools/list' },
        { method: 'tools/call', params: { name: 'read_inbox', arguments: { limit: 1 } } },
        { method: 'tools/call', params: { name: 'list_mailboxes', arguments: {} } },
      ]),
      { env: world.env(BOB), timeoutMs: 30_000 },
    );
    expect(run.code).toBe(0);
    const byId = Object.fromEntries(run.messages.map((m) => [m.id, m]));
    expect(byId[1].result.tools).toHaveLength(13);
    expect(byId[2].result.structuredContent.messages.length).toBe(1);
    expect(byId[3].result.structuredContent.mailboxes.map((m: { path: string }) => m.path)).toContain('Drafts');
  });

  it('starts without configuration and names the variables to set', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'read_inbox', arguments: {} } }]), { args: ['--read-only'] });
    const byId = Object.fromEntries(run.messages.map((m) => [m.id, m]));
    expect(byId[1].result.tools.map((t: { name: string }) => t.name)).not.toContain('send_email');
    expect(byId[2].result.isError).toBe(true);
    expect(byId[2].result.content[0].text).toMatch(/set EMAIL_ADDRESS, EMAIL_PASSWORD \(or EMAIL_OAUTH2_TOKEN\), IMAP_HOST/);
  });

  it('--help exits 0; a bad setting exits 1 with one line', () => {
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stderr).toContain('EMAIL_ALLOWED_RECIPIENTS');
    expect(help.stdout).toBe('');
    const bad = spawnSync(process.execPath, [bin], { encoding: 'utf8', env: { PATH: process.env.PATH, EMAIL_SEND_MODE: 'always' }, input: '' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/EMAIL_SEND_MODE must be one of draft, send/);
  });
});
