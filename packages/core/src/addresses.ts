// Strict e-mail address parsing, shared by every server that writes to people (email, Gmail,
// Calendar attendees, Drive sharing) and by the destination allow-lists.
//
// A recipient is one string holding exactly one address, in one of two forms:
//   local@domain            or            Display Name <local@domain>
// Everything that lets a string mean something other than what a person reads is refused rather
// than interpreted: comments "(…)", encoded words "=?…?=", quoted local parts, several addresses in
// one string (",", ";", a second "<"), group syntax, source routes, IP-literal domains, "%" and "!"
// relay hacks, backslashes, control characters, and display names that contain "@" or "<" (a name
// that looks like another address). Domains are lower-cased and converted to ASCII (IDN → punycode),
// so a look-alike domain never equals an allowed one.
import { domainToASCII } from 'node:url';

export interface Address {
  /** The addr-spec, domain in lower-case ASCII. */
  address: string;
  name?: string;
  local: string;
  domain: string;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

const ATEXT = /^[A-Za-z0-9#$&'*+/=?^_`{|}~-]+$/; // RFC 5322 atext without "!" and "%"
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Validates an addr-spec (no display name) and returns it normalised. */
export function parseAddrSpec(input: string): Address {
  const s = input;
  if (s.length > 254) throw new AddressError('address is longer than 254 characters');
  const at = s.lastIndexOf('@');
  if (at <= 0 || s.indexOf('@') !== at) throw new AddressError('an address needs exactly one "@" with a local part before it');
  const local = s.slice(0, at);
  const rawDomain = s.slice(at + 1);
  if (local.length > 64) throw new AddressError('the local part is longer than 64 characters');
  if (local.startsWith('"')) throw new AddressError('quoted local parts are not accepted');
  const atoms = local.split('.');
  if (atoms.some((a) => a === '' || !ATEXT.test(a))) throw new AddressError(`the local part "${clip(local)}" has characters or dots that are not accepted`);
  if (rawDomain.startsWith('[')) throw new AddressError('IP-literal domains are not accepted');
  if (!rawDomain || /[^\p{L}\p{N}.-]/u.test(rawDomain)) throw new AddressError(`the domain "${clip(rawDomain)}" has characters that are not accepted`);
  const domain = domainToASCII(rawDomain.toLowerCase());
  if (!domain) throw new AddressError(`the domain "${clip(rawDomain)}" is not a valid domain name`);
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => !LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    throw new AddressError(`the domain "${clip(rawDomain)}" is not a valid domain name`);
  }
  return { address: `${local}@${domain}`, local, domain };
}

/** Parses one recipient string strictly (see the file comment). */
export function parseAddress(input: unknown): Address {
  if (typeof input !== 'string') throw new AddressError('not a string');
  const s = input.trim();
  if (!s) throw new AddressError('empty address');
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(s)) throw new AddressError('control characters or line breaks are not accepted');
  if (s.includes('=?')) throw new AddressError('encoded words (=?…?=) are not accepted in addresses');
  if (/[()]/.test(s)) throw new AddressError('comments "(…)" are not accepted in addresses');
  if (s.includes('\\')) throw new AddressError('backslashes are not accepted in addresses');
  const lt = s.indexOf('<');
  if (lt === -1) {
    if (s.includes('>')) throw new AddressError('unbalanced ">"');
    if (/[,;:"\s]/.test(s)) throw new AddressError('one address per entry, without spaces, quotes, commas or semicolons');
    return parseAddrSpec(s);
  }
  if (s.indexOf('<', lt + 1) !== -1 || !s.endsWith('>') || s.indexOf('>') !== s.length - 1) {
    throw new AddressError('one address per entry: "Name <user@domain>" with a single <…> at the end');
  }
  const inner = s.slice(lt + 1, -1);
  if (inner.startsWith('@') || inner.includes(':')) throw new AddressError('source routes (<@host:user@domain>) are not accepted');
  if (/[\s,;"]/.test(inner)) throw new AddressError('the address inside <…> has spaces, quotes, commas or semicolons');
  let name = s.slice(0, lt).trim();
  if (name.startsWith('"')) {
    if (!name.endsWith('"') || name.length < 2) throw new AddressError('unbalanced quotes in the display name');
    name = name.slice(1, -1);
    if (name.includes('"')) throw new AddressError('quotes inside the display name are not accepted');
  } else if (name.includes('"')) {
    throw new AddressError('quotes are only accepted around the whole display name');
  }
  if (/[@<>]/.test(name)) throw new AddressError('display names may not contain "@", "<" or ">" (they would look like another address)');
  if (/[,;:]/.test(name) && !s.trimStart().startsWith('"')) throw new AddressError('a display name with "," ";" or ":" must be quoted (it would read as several addresses or a group)');
  const spec = parseAddrSpec(inner);
  return name ? { ...spec, name } : spec;
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
