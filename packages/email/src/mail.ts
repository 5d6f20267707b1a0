// Reading and writing messages: summaries from IMAP FETCH data, full messages parsed with
// mailparser, new messages built with nodemailer's MailComposer. Every piece of outside text that
// reaches the model goes through clean() (invisible characters removed).
import { randomBytes } from 'node:crypto';
import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import type { ParsedMail, AddressObject } from 'mailparser';
import { stripInvisible, ToolError, type Sandbox } from '@bizmcp/core';
import type { EmailConfig } from './config.js';

export const clean = (s: unknown): string => (typeof s === 'string' ? stripInvisible(s) : '');

export interface Person {
  name?: string;
  address: string;
}

export const person = (a: MessageAddressObject | { name?: string; address?: string }): Person => {
  const name = clean(a.name ?? '').trim();
  return name ? { name, address: clean(a.address ?? '') } : { address: clean(a.address ?? '') };
};

export const people = (list: (MessageAddressObject | { name?: string; address?: string })[] | undefined): Person[] => (list ?? []).filter((a) => a.address).map(person);

export const showPerson = (p: Person) => (p.name ? `${p.name} <${p.address}>` : p.address);

export function flagsOf(flags: Set<string> | undefined) {
  const f = flags ?? new Set<string>();
  return { seen: f.has('\\Seen'), flagged: f.has('\\Flagged'), answered: f.has('\\Answered'), draft: f.has('\\Draft') };
}

/** Attachment file names from a BODYSTRUCTURE (no download). */
export function attachmentNames(node: MessageStructureObject | undefined, out: string[] = []): string[] {
  if (!node) return out;
  if (node.childNodes?.length) {
    for (const c of node.childNodes) attachmentNames(c, out);
    return out;
  }
  const name = node.dispositionParameters?.filename ?? node.parameters?.name;
  const isAttachment = node.disposition === 'attachment' || (name && !/^text\/(plain|html)$/.test(node.type ?? ''));
  if (isAttachment) out.push(clean(name ?? `(unnamed ${node.type})`));
  return out;
}

export interface Summary {
  mailbox: string;
  uid: number;
  messageId?: string;
  date?: string;
  from: Person[];
  to: Person[];
  subject: string;
  flags: ReturnType<typeof flagsOf>;
  size?: number;
  attachments: string[];
  snippet?: string;
}

const SNIPPET_SOURCE_BYTES = 16 * 1024;
export const SUMMARY_QUERY = { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true } as const;
export const SUMMARY_QUERY_SNIPPET = { ...SUMMARY_QUERY, source: { maxLength: SNIPPET_SOURCE_BYTES } } as const;

const isoDate = (d: unknown) => {
  const date = d instanceof Date ? d : typeof d === 'string' ? new Date(d) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
};

export async function summarize(mailbox: string, m: FetchMessageObject, withSnippet: boolean): Promise<Summary> {
  const env = m.envelope;
  const s: Summary = {
    mailbox,
    uid: m.uid,
    ...(env?.messageId ? { messageId: clean(env.messageId) } : {}),
    ...(isoDate(env?.date ?? m.internalDate) ? { date: isoDate(env?.date ?? m.internalDate) } : {}),
    from: people(env?.from),
    to: people(env?.to),
    subject: clean(env?.subject ?? ''),
    flags: flagsOf(m.flags),
    ...(m.size !== undefined ? { size: m.size } : {}),
    attachments: attachmentNames(m.bodyStructure),
  };
  if (withSnippet && m.source) s.snippet = await snippetOf(m.source);
  return s;
}

async function snippetOf(partialSource: Buffer): Promise<string> {
  try {
    const { simpleParser } = await import('mailparser');
    const parsed = await simpleParser(partialSource, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const { text } = await bodyText(parsed, partialSource);
    return clean(text).replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- full messages

export interface Full {
  parsed: ParsedMail;
  text: string;
  htmlConverted: boolean;
}

export async function parseFull(source: Buffer): Promise<Full> {
  const { simpleParser } = await import('mailparser');
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(source, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (e) {
    throw new ToolError(`The message could not be parsed: ${(e as Error).message}`, { code: 'remote_error' });
  }
  // HTML-only mail: converted here rather than by mailparser, so that elements a reader never sees
  // (display:none, hidden, zero-size or invisible text) are dropped: they are a favourite carrier of
  // instructions aimed at the model.
  const { text, htmlConverted } = await bodyText(parsed, source);
  return { parsed, text: clean(text), htmlConverted };
}

// Style declarations that hide an element. Numeric zeros are matched with what may follow them
// ("0;", "0px", "0 !important", end of attribute) so that "font-size:0.9em" is not taken for zero.
const hiding = (prop: string, value: string, numeric: boolean) =>
  [`${prop}:${value}`, `${prop}: ${value}`].flatMap((d) =>
    numeric ? [`[style*="${d};" i]`, `[style*="${d}px" i]`, `[style*="${d}pt" i]`, `[style*="${d}em" i]`, `[style*="${d} " i]`, `[style$="${d}" i]`] : [`[style*="${d}" i]`],
  );
const HIDDEN = [
  '[hidden]',
  'template',
  'noscript',
  ...hiding('display', 'none', false),
  ...hiding('visibility', 'hidden', false),
  ...hiding('color', 'transparent', false),
  ...hiding('font-size', '0', true),
  ...hiding('opacity', '0', true),
  ...hiding('max-height', '0', true),
];

/** The text body: the text/plain part, or the HTML part converted without its hidden elements. */
async function bodyText(parsed: ParsedMail, source: Buffer): Promise<{ text: string; htmlConverted: boolean }> {
  const htmlConverted = typeof parsed.html === 'string' && !/content-type:\s*text\/plain/i.test(source.subarray(0, 256 * 1024).toString('latin1'));
  return { text: htmlConverted ? await htmlToText(parsed.html as string) : (parsed.text ?? ''), htmlConverted };
}

async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  return convert(html, {
    wordwrap: false,
    limits: { maxDepth: 500 },
    selectors: [{ selector: 'img', format: 'skip' }, ...HIDDEN.map((selector) => ({ selector, format: 'skip' }))],
  });
}

export const addrList = (a: AddressObject | AddressObject[] | undefined): Person[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.flatMap((v) => (v.group ? v.group : [v]))).filter((v) => v.address).map((v) => person({ name: v.name, address: v.address }));

export const referencesOf = (p: ParsedMail): string[] => (Array.isArray(p.references) ? p.references : p.references ? p.references.split(/\s+/) : []).filter(Boolean);

export function attachmentList(p: ParsedMail) {
  return p.attachments.map((a, index) => ({
    index,
    filename: clean(a.filename ?? `attachment-${index + 1}`),
    contentType: a.contentType,
    size: a.size ?? a.content.length,
    inline: a.contentDisposition === 'inline',
  }));
}

// ---------------------------------------------------------------- composing

export interface Outgoing {
  from: { name?: string; address: string };
  to: Person[];
  cc: Person[];
  bcc: Person[];
  subject: string;
  text?: string;
  html?: string;
  attachments: { filename: string; content: Buffer; contentType?: string }[];
  inReplyTo?: string;
  references?: string[];
}

export function newMessageId(config: EmailConfig) {
  const domain = config.address?.split('@')[1] ?? 'localhost';
  return `<${Date.now().toString(36)}.${randomBytes(9).toString('hex')}@${domain}>`;
}

/** Builds the raw message. `keepBcc` for drafts and Sent copies; the copy that travels has none. */
export async function buildRaw(msg: Outgoing, messageId: string, date: Date, keepBcc: boolean): Promise<Buffer> {
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const composer = new MailComposer({
    from: msg.from,
    to: msg.to,
    cc: msg.cc,
    bcc: msg.bcc,
    subject: msg.subject,
    text: msg.text,
    html: msg.html,
    attachments: msg.attachments,
    messageId,
    date,
    inReplyTo: msg.inReplyTo,
    references: msg.references,
    disableFileAccess: true,
    disableUrlAccess: true,
    headers: { 'X-Mailer': 'bizmcp-email' },
  } as never);
  const node = composer.compile();
  (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
  return new Promise((resolve, reject) => node.build((err: Error | null, buf: Buffer) => (err ? reject(err) : resolve(buf))));
}

/** Reads attachments named by the caller from the attachment sandbox. */
export async function readAttachments(sandbox: Sandbox | undefined, config: EmailConfig, list: { path: string; filename?: string }[] | undefined) {
  if (!list?.length) return [];
  if (!sandbox) {
    throw new ToolError('Attachments are disabled: EMAIL_ATTACHMENT_DIR is not set', {
      code: 'access_denied',
      hint: 'The operator sets EMAIL_ATTACHMENT_DIR to the only directory attachments may be read from.',
    });
  }
  const out = [];
  let total = 0;
  for (const a of list) {
    const { data, path } = await sandbox.readFile(a.path, { maxBytes: config.maxAttachmentBytes });
    total += data.length;
    if (total > config.maxAttachmentBytes) {
      throw new ToolError(`Attachments total more than ${config.maxAttachmentBytes} bytes`, { code: 'too_large', hint: 'Send fewer or smaller files (EMAIL_MAX_ATTACHMENT_BYTES).' });
    }
    out.push({ filename: safeFilename(a.filename ?? path.split('/').pop() ?? 'attachment'), content: data });
  }
  return out;
}

/** A file name that is one plain component: no directories, no control characters. */
export function safeFilename(name: string): string {
  const base = clean(name).split(/[\\/]/).pop() ?? '';
  const s = base.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim().slice(0, 200);
  return s || 'attachment';
}

export const reSubject = (s: string, prefix: 'Re' | 'Fwd') => {
  const re = prefix === 'Re' ? /^\s*re\s*:/i : /^\s*(fwd?|tr)\s*:/i;
  return re.test(s) ? s : `${prefix}: ${s}`;
};

export function quote(p: ParsedMail, text: string, maxChars = 20_000): string {
  const from = addrList(p.from)[0];
  const when = p.date ? p.date.toUTCString() : 'an unknown date';
  const body = text.length > maxChars ? `${text.slice(0, maxChars)}\n[…]` : text;
  return `On ${when}, ${from ? showPerson(from) : 'the sender'} wrote:\n${body.split('\n').map((l) => `> ${l}`).join('\n')}`;
}

/** References for a reply: the original's chain plus its Message-ID, capped (first + last 19). */
export function replyReferences(p: ParsedMail): string[] {
  const refs = referencesOf(p);
  if (p.messageId) refs.push(p.messageId);
  return refs.length > 20 ? [refs[0], ...refs.slice(-19)] : refs;
}
