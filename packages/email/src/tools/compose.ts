// Writing tools: send_email, reply_to_email, forward_email (drafts unless EMAIL_SEND_MODE=send) and
// create_draft (always a draft). Every recipient is parsed strictly and checked against
// EMAIL_ALLOWED_RECIPIENTS before anything is built, saved or sent.
import { z } from 'zod';
import { toolsFor, ToolError, type ToolContext } from '@bizmcp/core';
import { type AddressError, checkAllowed, parseAddrSpec, parseRecipients, type Address } from '../addresses.js';
import { requireAccount } from '../config.js';
import { addrList, buildRaw, newMessageId, quote, readAttachments, replyReferences, reSubject, showPerson, type Outgoing, type Person } from '../mail.js';
import { smtpSend } from '../smtp.js';
import type { EmailState } from '../state.js';
import { fetchFull } from './read.js';
import { mailboxArg, uidArg } from './schemas.js';

const tool = toolsFor<EmailState>();
const SEND = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;
const SEND_RATE = { points: 10, durationSec: 60 };

const recipients = (what: string) => z.array(z.string().min(3).max(320)).max(50).optional().describe(`${what}: one address per entry, "ana@example.com" or "Ana Lima <ana@example.com>".`);
const attachmentsArg = z
  .array(
    z.object({
      path: z.string().min(1).max(4096).describe('File path inside the attachment directory (EMAIL_ATTACHMENT_DIR).'),
      filename: z.string().max(200).optional().describe('Name shown to the recipient (default: the file name).'),
    }),
  )
  .max(20)
  .optional()
  .describe('Files to attach, from the attachment directory only.');

const confirmResendArg = z.boolean().default(false).describe('Only after an UNCLEAR outcome was checked: send the same message again.');

const deliveryOutput = z.object({
  status: z.enum(['sent', 'draft_saved']).describe('sent: handed to the SMTP server; draft_saved: saved in Drafts for a person to review and send.'),
  messageId: z.string(),
  subject: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  draft: z.object({ mailbox: z.string(), uid: z.number().optional() }).optional(),
  accepted: z.array(z.string()).optional(),
  rejected: z.array(z.string()).optional(),
  savedToSent: z.string().optional(),
  warnings: z.array(z.string()),
});
type Delivery = z.infer<typeof deliveryOutput>;

const renderDelivery = (r: Delivery) =>
  [
    r.status === 'sent'
      ? `Sent "${r.subject}" (${r.messageId}) to ${[...r.to, ...r.cc, ...r.bcc].join(', ')}.${r.rejected?.length ? ` Rejected by the server: ${r.rejected.join(', ')}.` : ''}`
      : `Saved as a draft in ${r.draft?.mailbox}${r.draft?.uid ? ` (uid ${r.draft.uid})` : ''}: "${r.subject}" to ${[...r.to, ...r.cc, ...r.bcc].join(', ') || '(no recipients yet)'}. Nothing was sent; a person sends it from their mail program.`,
    ...r.warnings.map((w) => `Warning: ${w}`),
  ].join('\n');

const fromHeaderAddress = (field: string, p: Person): Address => {
  try {
    const a = parseAddrSpec(p.address);
    return p.name ? { ...a, name: p.name.replace(/[\r\n"<>@]/g, ' ').trim() } : a;
  } catch (e) {
    throw new ToolError(`The original message's ${field} address "${p.address}" is not accepted: ${(e as AddressError).message}. Nothing was sent or saved.`, { code: 'invalid_argument' });
  }
};

const asPerson = (a: Address): Person => (a.name ? { name: a.name, address: a.address } : { address: a.address });
const dedupe = (list: Address[], exclude: Set<string>) => {
  const out: Address[] = [];
  for (const a of list) {
    const k = a.address.toLowerCase();
    if (exclude.has(k)) continue;
    exclude.add(k);
    out.push(a);
  }
  return out;
};

interface Draft {
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  text?: string;
  html?: string;
  attachments: Outgoing['attachments'];
  inReplyTo?: string;
  references?: string[];
  /** The message being answered (flagged \Answered after a real send). */
  answers?: { mailbox: string; uid: number };
}

/** Allow-list, then draft (APPEND to \Drafts) or send (SMTP, then a copy to \Sent). */
async function deliver(ctx: ToolContext<EmailState>, d: Draft, asDraft: boolean): Promise<Delivery> {
  const { config, imap } = ctx.state;
  checkAllowed(config.allow, [
    { field: 'to', list: d.to },
    { field: 'cc', list: d.cc },
    { field: 'bcc', list: d.bcc },
  ]);
  if (!asDraft && !d.to.length && !d.cc.length && !d.bcc.length) throw new ToolError('No recipients', { code: 'invalid_argument', hint: 'Give at least one address in to, cc or bcc.' });
  const from = requireAccount(
    config,
    asDraft ? 'IMAP' : 'SMTP',
    asDraft ? ' (EMAIL_SEND_MODE is draft: messages are saved to Drafts over IMAP; set EMAIL_SEND_MODE=send and SMTP_HOST to send)' : '',
  ).address;
  const msg: Outgoing = {
    from: config.displayName ? { name: config.displayName, address: from } : { address: from },
    to: d.to.map(asPerson),
    cc: d.cc.map(asPerson),
    bcc: d.bcc.map(asPerson),
    subject: d.subject,
    text: d.text,
    html: d.html,
    attachments: d.attachments,
    inReplyTo: d.inReplyTo,
    references: d.references,
  };
  const messageId = newMessageId(config);
  const date = new Date();
  const base = { messageId, subject: d.subject, to: d.to.map((a) => a.address), cc: d.cc.map((a) => a.address), bcc: d.bcc.map((a) => a.address), warnings: [] as string[] };
  if (asDraft) {
    const raw = await buildRaw(msg, messageId, date, true);
    const box = await imap.specialUse(ctx.signal, '\\Drafts');
    const res = await imap.run(ctx.signal, (c) => c.append(box, raw, ['\\Draft', '\\Seen'], date));
    return { status: 'draft_saved', ...base, draft: { mailbox: box, ...(res && typeof res === 'object' && res.uid ? { uid: res.uid } : {}) } };
  }
  const raw = await buildRaw(msg, messageId, date, false);
  const envelope = { from, to: [...d.to, ...d.cc, ...d.bcc].map((a) => a.address) };
  // An unclear send (the body went out, no confirmation came back) or a call that timed out is an
  // unknown outcome: core's outcome guard (outcomeGuard below) refuses the same send until confirm_resend.
  const info = await smtpSend(config, envelope, raw, ctx.signal, messageId);
  const out: Delivery = { status: 'sent', ...base, accepted: info.accepted, rejected: info.rejected };
  if (info.rejected.length) out.warnings.push(`the server refused ${info.rejected.join(', ')}; the others received it`);
  // After a send, nothing below may fail the call: the mail is gone.
  if (config.saveSent && config.imap) {
    try {
      const copy = await buildRaw(msg, messageId, date, true);
      const box = await imap.specialUse(ctx.signal, '\\Sent');
      await imap.run(ctx.signal, (c) => c.append(box, copy, ['\\Seen'], date));
      out.savedToSent = box;
    } catch (e) {
      out.warnings.push(`sent, but the copy to the Sent mailbox failed: ${(e as Error).message}`);
    }
  }
  if (d.answers) {
    const { mailbox, uid } = d.answers;
    await imap
      .withMailbox(mailbox, { readOnly: false, signal: ctx.signal }, (c) => c.messageFlagsAdd(String(uid), ['\\Answered'], { uid: true }))
      .catch(() => out.warnings.push('sent, but the original could not be flagged as answered'));
  }
  return out;
}

const modeNote =
  'With the default EMAIL_SEND_MODE=draft this saves a draft in the Drafts mailbox instead of sending (status "draft_saved"); with EMAIL_SEND_MODE=send it sends over SMTP and keeps a copy in Sent.';
const safetyNote =
  'Recipients outside EMAIL_ALLOWED_RECIPIENTS refuse the whole message. If the result says the outcome is UNCLEAR, do not send again without checking: it was not retried to avoid duplicates.';

export const sendEmail = tool({
  name: 'send_email',
  toolset: 'compose',
  title: 'Send email',
  description: `Writes a new email to to/cc/bcc with a subject and a text and/or HTML body, optionally with attachments from the attachment directory. ${modeNote} ${safetyNote}`,
  input: z.object({
    to: recipients('To'),
    cc: recipients('Cc'),
    bcc: recipients('Bcc'),
    subject: z.string().max(998),
    text: z.string().max(1_000_000).optional().describe('Plain-text body.'),
    html: z.string().max(2_000_000).optional().describe('HTML body (give text too for clients that show text only).'),
    attachments: attachmentsArg,
    confirm_resend: confirmResendArg,
  }),
  output: deliveryOutput,
  annotations: SEND,
  outcomeGuard: { confirmArg: 'confirm_resend' },
  rateLimit: SEND_RATE,
  timeoutMs: 120_000,
  text: renderDelivery,
  async run(args, ctx) {
    if (args.text === undefined && args.html === undefined) throw new ToolError('Give text and/or html', { code: 'invalid_argument' });
    const draft: Draft = {
      to: parseRecipients('to', args.to),
      cc: parseRecipients('cc', args.cc),
      bcc: parseRecipients('bcc', args.bcc),
      subject: args.subject.replace(/[\r\n]+/g, ' '),
      text: args.text,
      html: args.html,
      attachments: [],
    };
    checkAllowed(ctx.state.config.allow, [
      { field: 'to', list: draft.to },
      { field: 'cc', list: draft.cc },
      { field: 'bcc', list: draft.bcc },
    ]);
    draft.attachments = await readAttachments(ctx.state.files, ctx.state.config, args.attachments);
    return deliver(ctx, draft, ctx.state.config.sendMode === 'draft');
  },
});

/** The reply to a stored message: recipients, subject, threading headers and quoted text. */
async function buildReply(
  ctx: ToolContext<EmailState>,
  a: { mailbox: string; uid: number; reply_all: boolean; text?: string; html?: string; quote_original: boolean; cc?: string[]; bcc?: string[] },
): Promise<Draft> {
  const full = await ctx.state.imap.withMailbox(a.mailbox, { readOnly: true, signal: ctx.signal }, (c) => fetchFull(c, ctx.state, a.mailbox, a.uid));
  const p = full.parsed;
  const self = (ctx.state.config.address ?? '').toLowerCase();
  const replyTo = addrList(p.replyTo);
  const fromList = addrList(p.from);
  const fromSelf = fromList.some((x) => x.address.toLowerCase() === self);
  const primary = fromSelf ? addrList(p.to) : replyTo.length ? replyTo : fromList;
  if (!primary.length) throw new ToolError('The original message has no sender address to reply to', { code: 'invalid_argument', hint: 'Use send_email with explicit recipients.' });
  const seen = new Set<string>([self]);
  const to = dedupe(
    primary.map((x) => fromHeaderAddress(replyTo.length && !fromSelf ? 'Reply-To' : 'From', x)),
    seen,
  );
  let cc = parseRecipients('cc', a.cc);
  if (a.reply_all)
    cc = [
      ...dedupe(
        [...addrList(p.to), ...addrList(p.cc)].map((x) => fromHeaderAddress('To/Cc', x)),
        seen,
      ),
      ...cc,
    ];
  const quoted = a.quote_original ? quote(p, full.text) : '';
  const text = a.text !== undefined ? (quoted ? `${a.text}\n\n${quoted}` : a.text) : undefined;
  const html = a.html !== undefined ? (quoted ? `${a.html}<br><blockquote>${escapeHtml(quoted).replace(/\n/g, '<br>')}</blockquote>` : a.html) : undefined;
  return {
    to: to.length ? to : [fromHeaderAddress('From', primary[0])],
    cc,
    bcc: parseRecipients('bcc', a.bcc),
    subject: reSubject((p.subject ?? '').replace(/[\r\n]+/g, ' '), 'Re'),
    text,
    html,
    attachments: [],
    ...(p.messageId ? { inReplyTo: p.messageId } : {}),
    references: replyReferences(p),
    answers: { mailbox: a.mailbox, uid: a.uid },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const replyInput = {
  mailbox: mailboxArg,
  uid: uidArg,
  text: z.string().max(1_000_000).optional().describe('Your reply (plain text); the original is quoted below it.'),
  html: z.string().max(2_000_000).optional().describe('Your reply as HTML.'),
  reply_all: z.boolean().default(false).describe('Also reply to the original To and Cc (minus yourself).'),
  quote_original: z.boolean().default(true).describe('Quote the original text under the reply.'),
  cc: recipients('Extra Cc'),
  bcc: recipients('Bcc'),
  attachments: attachmentsArg,
  confirm_resend: confirmResendArg,
};

export const replyToEmail = tool({
  name: 'reply_to_email',
  toolset: 'compose',
  title: 'Reply to email',
  description: `Replies to a message (mailbox + uid): To is its Reply-To or From, reply_all adds its To and Cc; the subject gets "Re:", In-Reply-To and References thread it correctly, and the original is quoted. ${modeNote} ${safetyNote}`,
  input: z.object(replyInput),
  output: deliveryOutput,
  annotations: SEND,
  outcomeGuard: { confirmArg: 'confirm_resend' },
  rateLimit: SEND_RATE,
  timeoutMs: 120_000,
  text: renderDelivery,
  async run(args, ctx) {
    if (args.text === undefined && args.html === undefined) throw new ToolError('Give text and/or html', { code: 'invalid_argument' });
    const d = await buildReply(ctx, args);
    checkAllowed(ctx.state.config.allow, [
      { field: 'to', list: d.to },
      { field: 'cc', list: d.cc },
      { field: 'bcc', list: d.bcc },
    ]);
    d.attachments = await readAttachments(ctx.state.files, ctx.state.config, args.attachments);
    return deliver(ctx, d, ctx.state.config.sendMode === 'draft');
  },
});

export const forwardEmail = tool({
  name: 'forward_email',
  toolset: 'compose',
  title: 'Forward email',
  description: `Forwards a message (mailbox + uid) to new recipients with an optional note above it: "Fwd:" subject, the original headers and text, and its attachments (unless include_attachments is false). ${modeNote} ${safetyNote}`,
  input: z.object({
    mailbox: mailboxArg,
    uid: uidArg,
    to: recipients('To'),
    cc: recipients('Cc'),
    bcc: recipients('Bcc'),
    text: z.string().max(1_000_000).optional().describe('Your note above the forwarded message.'),
    include_attachments: z.boolean().default(true),
    confirm_resend: confirmResendArg,
  }),
  output: deliveryOutput,
  annotations: SEND,
  outcomeGuard: { confirmArg: 'confirm_resend' },
  rateLimit: SEND_RATE,
  timeoutMs: 120_000,
  text: renderDelivery,
  async run(args, ctx) {
    const to = parseRecipients('to', args.to);
    const cc = parseRecipients('cc', args.cc);
    const bcc = parseRecipients('bcc', args.bcc);
    checkAllowed(ctx.state.config.allow, [
      { field: 'to', list: to },
      { field: 'cc', list: cc },
      { field: 'bcc', list: bcc },
    ]);
    const full = await ctx.state.imap.withMailbox(args.mailbox, { readOnly: true, signal: ctx.signal }, (c) => fetchFull(c, ctx.state, args.mailbox, args.uid));
    const p = full.parsed;
    const header = [
      '---------- Forwarded message ---------',
      `From: ${addrList(p.from).map(showPerson).join(', ')}`,
      `Date: ${p.date ? p.date.toUTCString() : '?'}`,
      `Subject: ${p.subject ?? ''}`,
      `To: ${addrList(p.to).map(showPerson).join(', ')}`,
      ...(addrList(p.cc).length ? [`Cc: ${addrList(p.cc).map(showPerson).join(', ')}`] : []),
    ].join('\n');
    const attachments = args.include_attachments ? p.attachments.map((a, i) => ({ filename: a.filename ?? `attachment-${i + 1}`, content: a.content, contentType: a.contentType })) : [];
    const total = attachments.reduce((n, a) => n + a.content.length, 0);
    if (total > ctx.state.config.maxAttachmentBytes)
      throw new ToolError(`The attachments total ${total} bytes, over EMAIL_MAX_ATTACHMENT_BYTES`, { code: 'too_large', hint: 'Forward with include_attachments: false.' });
    return deliver(
      ctx,
      {
        to,
        cc,
        bcc,
        subject: reSubject((p.subject ?? '').replace(/[\r\n]+/g, ' '), 'Fwd'),
        text: `${args.text ? `${args.text}\n\n` : ''}${header}\n\n${full.text}`,
        attachments,
        references: p.messageId ? [p.messageId] : undefined,
      },
      ctx.state.config.sendMode === 'draft',
    );
  },
});

export const createDraft = tool({
  name: 'create_draft',
  toolset: 'compose',
  title: 'Create draft',
  description:
    'Saves a message in the Drafts mailbox (found by its \\Drafts special-use flag) without sending anything, for a person to review and send. For a reply draft give reply_to {mailbox, uid}: recipients, "Re:" subject, threading headers and the quoted original are filled in. Recipients outside EMAIL_ALLOWED_RECIPIENTS are refused here too.',
  input: z.object({
    to: recipients('To'),
    cc: recipients('Cc'),
    bcc: recipients('Bcc'),
    subject: z.string().max(998).optional().describe('Required unless reply_to is given.'),
    text: z.string().max(1_000_000).optional(),
    html: z.string().max(2_000_000).optional(),
    attachments: attachmentsArg,
    reply_to: z.object({ mailbox: mailboxArg, uid: uidArg }).optional().describe('Make this a reply draft to that message.'),
    reply_all: z.boolean().default(false),
  }),
  output: deliveryOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  text: renderDelivery,
  async run(args, ctx) {
    let d: Draft;
    if (args.reply_to) {
      d = await buildReply(ctx, {
        ...args.reply_to,
        reply_all: args.reply_all,
        text: args.text ?? (args.html === undefined ? '' : undefined),
        html: args.html,
        quote_original: true,
        cc: args.cc,
        bcc: args.bcc,
      });
      const extraTo = parseRecipients('to', args.to);
      d.to = [...d.to, ...dedupe(extraTo, new Set(d.to.map((a) => a.address.toLowerCase())))];
      if (args.subject) d.subject = args.subject.replace(/[\r\n]+/g, ' ');
    } else {
      if (args.subject === undefined) throw new ToolError('Give a subject (or reply_to)', { code: 'invalid_argument' });
      d = {
        to: parseRecipients('to', args.to),
        cc: parseRecipients('cc', args.cc),
        bcc: parseRecipients('bcc', args.bcc),
        subject: args.subject.replace(/[\r\n]+/g, ' '),
        text: args.text ?? (args.html === undefined ? '' : undefined),
        html: args.html,
        attachments: [],
      };
    }
    checkAllowed(ctx.state.config.allow, [
      { field: 'to', list: d.to },
      { field: 'cc', list: d.cc },
      { field: 'bcc', list: d.bcc },
    ]);
    d.attachments = await readAttachments(ctx.state.files, ctx.state.config, args.attachments);
    delete d.answers;
    return deliver(ctx, d, true);
  },
});

export const composeTools = [sendEmail, replyToEmail, forwardEmail, createDraft];
