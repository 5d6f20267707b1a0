// Reading and writing messages: summaries from IMAP FETCH data, full messages parsed with
// mailparser, new messages built with nodemailer's MailComposer. Every piece of outside text that
// reaches the model goes through core's untrusted-text layer: clean() for every string (invisible
// characters removed), visibleText() for HTML bodies (what the reader does not see removed, counted).
import { randomBytes } from 'node:crypto';
import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import type { ParsedMail, AddressObject } from 'mailparser';
import { cleanText, ToolError, visibleText, type Sandbox } from '@bizmcp/core';
import type { EmailConfig } from './config.js';

export const clean = cleanText;

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

export function summarize(mailbox: string, m: FetchMessageObject): Summary {
  const env = m.envelope;
  const date = isoDate(env?.date ?? m.internalDate);
  return {
    mailbox,
    uid: m.uid,
    ...(env?.messageId ? { messageId: clean(env.messageId) } : {}),
    ...(date ? { date } : {}),
    from: people(env?.from),
    to: people(env?.to),
    subject: clean(env?.subject ?? ''),
    flags: flagsOf(m.flags),
    ...(m.size !== undefined ? { size: m.size } : {}),
    attachments: attachmentNames(m.bodyStructure),
  };
}

const PARSE_OPTIONS = { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, skipHtmlToText: true } as const;

// loaded on first use and kept: an import() per message went through the module loader each time
let mailparser: typeof import('mailparser') | undefined;
const parse = async (source: Buffer) => (mailparser ??= await import('mailparser')).simpleParser(source, PARSE_OPTIONS);

/** The top-level header fields that decide how the body reads; the others come from the envelope. */
const BODY_FIELD = /^content-(?:type|transfer-encoding|disposition)[ \t]*:/i;

/**
 * The start of a message's text body, whitespace collapsed, at most 200 characters; '' when there
 * is none or it cannot be read. Never rejects. Only the top-level fields that decide how the body
 * reads are handed to the parser with the body: sender, subject and trace fields (often most of the
 * bytes) are the envelope's business, and parsing them took half of each snippet's time.
 */
export async function snippetOf(partialSource: Buffer): Promise<string> {
  try {
    const whole = partialSource.toString('latin1');
    // a blank first line is an empty header block; otherwise the block ends at the first blank line
    const end = /^\r?\n/.test(whole) ? 0 : whole.search(/\r?\n\r?\n/);
    if (end < 0) return '';
    const fields = whole
      .slice(0, end)
      .split(/\r?\n(?![ \t])/)
      .filter((f) => BODY_FIELD.test(f));
    const parsed = await parse(Buffer.concat([Buffer.from(fields.join('\r\n'), 'latin1'), partialSource.subarray(end)]));
    const { text } = await bodyText(parsed);
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
  /** Elements of the HTML body removed because a reader does not see them (0 for text bodies). */
  hiddenRemoved: number;
}

/** Deepest multipart nesting that is read; mailparser gives up far below what a message may carry. */
export const MAX_MIME_DEPTH = 100;

/** How deep multiparts nest: boundaries declared and not yet closed, at most, in the raw source. */
function mimeDepth(source: Buffer): number {
  const open = new Set<string>();
  let max = 0;
  for (const m of source.toString('latin1').matchAll(/boundary\s*=\s*(?:"([^"\r\n]*)"|([^;\s"]+))|^--(.+?)--[ \t]*$/gim)) {
    const declared = m[1] ?? m[2];
    if (declared !== undefined) {
      open.add(declared);
      max = Math.max(max, open.size);
    } else if (m[3] !== undefined) open.delete(m[3]);
  }
  return max;
}

const tooDeep = (depth: number) =>
  new ToolError(`The message is too deeply nested to read: about ${depth} levels of MIME parts inside each other (the limit is ${MAX_MIME_DEPTH})`, {
    code: 'invalid_argument',
    hint: 'Such nesting is a malformed or hostile message; it stays listed by read_inbox and search_emails, and can be moved or marked, but not read or forwarded.',
  });

export async function parseFull(source: Buffer): Promise<Full> {
  const depth = mimeDepth(source);
  if (depth > MAX_MIME_DEPTH) throw tooDeep(depth);
  let parsed: ParsedMail;
  try {
    parsed = await parse(source);
  } catch (e) {
    if (e instanceof RangeError || /child nodes|nest|depth/i.test((e as Error).message)) throw tooDeep(depth);
    throw new ToolError(`The message could not be parsed: ${clean((e as Error).message)}`, { code: 'remote_error' });
  }
  const { text, htmlConverted, hiddenRemoved } = await bodyText(parsed);
  return { parsed, text: clean(text), htmlConverted, hiddenRemoved };
}

/**
 * The text body: the text/plain body parts when the message has any, otherwise its HTML converted
 * to text after core's hidden-HTML pass (display:none, zero-size, invisible or background-coloured
 * text and the rest: a favourite carrier of instructions aimed at the model). Attachments, text/plain
 * ones included, are never the body (mailparser is told not to derive text from HTML, so
 * parsed.text holds real text parts only).
 */
async function bodyText(parsed: ParsedMail): Promise<{ text: string; htmlConverted: boolean; hiddenRemoved: number }> {
  const plain = typeof parsed.text === 'string' ? parsed.text : '';
  if (plain.trim() || typeof parsed.html !== 'string') return { text: plain, htmlConverted: false, hiddenRemoved: 0 };
  try {
    return { ...(await visibleText(parsed.html)), htmlConverted: true };
  } catch (e) {
    if (e instanceof RangeError) throw new ToolError('The HTML body of the message is nested too deeply to convert to text', { code: 'invalid_argument' });
    throw e;
  }
}

export const addrList = (a: AddressObject | AddressObject[] | undefined): Person[] =>
  (Array.isArray(a) ? a : a ? [a] : [])
    .flatMap((o) => o.value.flatMap((v) => (v.group ? v.group : [v])))
    .filter((v) => v.address)
    .map((v) => person({ name: v.name, address: v.address }));

export const referencesOf = (p: ParsedMail): string[] => (Array.isArray(p.references) ? p.references : p.references ? p.references.split(/\s+/) : []).filter(Boolean);

export function attachmentList(p: ParsedMail) {
  return p.attachments.map((a, index) => ({
    index,
    filename: clean(a.filename ?? `attachment-${index + 1}`),
    contentType: clean(a.contentType),
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
  const s = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
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
  return `On ${when}, ${from ? showPerson(from) : 'the sender'} wrote:\n${body
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')}`;
}

/** References for a reply: the original's chain plus its Message-ID, capped (first + last 19). */
export function replyReferences(p: ParsedMail): string[] {
  const refs = referencesOf(p);
  if (p.messageId) refs.push(p.messageId);
  return refs.length > 20 ? [refs[0], ...refs.slice(-19)] : refs;
}
