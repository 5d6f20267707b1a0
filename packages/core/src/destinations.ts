// Destination allow-lists: "who or where may this write reach", one syntax for every server.
//
// An operator sets a comma-separated environment variable (EMAIL_ALLOWED_RECIPIENTS,
// SLACK_ALLOWED_CHANNELS, GOOGLE_ALLOWED_RECIPIENTS, …) whose entries are:
//   ana@example.com     one e-mail address (compared case-insensitively)
//   @example.com        every address of exactly that domain (not its subdomains)
//   @*.example.com      every address of any subdomain of example.com (not example.com itself)
//   C0123ABCD           one Slack conversation by id (C… public, G… private or group, D… direct)
//   #general            one Slack channel by name (case-insensitive, "#" optional in lookups)
//   #proj-*             Slack channel names starting with "proj-" (for channels a tool may create)
//   *                   anything: must be written explicitly, nothing else means "no restriction"
// Parsing is strict: an entry that is none of these stops the server at start with the variable
// and the entry named (a misread safety setting must never be silently ignored). Addresses go
// through the strict parser in addresses.ts; domains are lower-cased and converted to punycode, so
// a look-alike domain (Cyrillic "а" in "exаmple.com") never equals an allowed one.
//
// What an empty or unset variable means is the server's decision (the email server sends
// anywhere when EMAIL_ALLOWED_RECIPIENTS is unset; the Slack server writes nowhere): an empty list
// parsed here allows nothing.
//
// Channel names can be renamed and reused: match a channel by the name Slack reports for its id,
// never by a name the caller typed.
import { AddressError, parseAddrSpec, parseAddress, type Address } from './addresses.js';
import { ConfigError } from './config.js';
import { ToolError } from './errors.js';

export type DestinationKind = 'email' | 'channel';

export interface ChannelRef {
  /** Conversation id as the API reports it (C…, G…, D…). */
  id?: string;
  /** Channel name, with or without "#". */
  name?: string;
}

export interface ParseDestinationsOptions {
  /** Which kinds of entries this variable accepts (default both). An entry of another kind is a
   *  configuration error: a channel id in a recipient list is a mistake, not a no-op. */
  kinds?: DestinationKind[];
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{6,20}$/;
const CHANNEL_NAME = /^[\p{Ll}\p{Lo}\p{N}_-]{1,80}$/u;
const SHOW = 20;

/** Lower-case, NFC, without a leading "#". */
export const normaliseChannelName = (name: string) => name.trim().replace(/^#/, '').normalize('NFC').toLowerCase();

export class Destinations {
  readonly any: boolean;
  private readonly addresses = new Set<string>();
  private readonly domains = new Set<string>();
  private readonly parentDomains = new Set<string>();
  private readonly channelIds = new Set<string>();
  private readonly channelNames = new Set<string>();
  private readonly channelPrefixes = new Set<string>();

  /** Use parseDestinations(); the constructor takes entries already split. */
  constructor(
    readonly envName: string,
    entries: string[],
    readonly kinds: readonly DestinationKind[] = ['email', 'channel'],
  ) {
    let any = false;
    for (const raw of entries) {
      const e = raw.trim();
      if (!e) continue;
      try {
        if (e === '*') any = true;
        else this.add(e);
      } catch (err) {
        if (err instanceof EntryError || err instanceof AddressError) {
          throw new ConfigError(`${envName}: entry "${clip(e)}" is not accepted: ${err.message}. ${this.syntax()}`);
        }
        throw err;
      }
    }
    this.any = any;
  }

  private accepts(kind: DestinationKind) {
    if (!this.kinds.includes(kind)) throw new EntryError(kind === 'email' ? 'this list takes no e-mail addresses or domains' : 'this list takes no channels');
  }

  private add(e: string) {
    if (e.startsWith('@*.')) {
      this.accepts('email');
      this.parentDomains.add(domainOf(e.slice(3)));
    } else if (e.startsWith('@')) {
      this.accepts('email');
      if (e.includes('*')) throw new EntryError('a wildcard domain is written "@*.example.com"');
      this.domains.add(domainOf(e.slice(1)));
    } else if (e.includes('@')) {
      this.accepts('email');
      this.addresses.add(parseAddrSpec(e).address.toLowerCase());
    } else if (e.startsWith('#')) {
      this.accepts('channel');
      const n = normaliseChannelName(e);
      const prefix = n.endsWith('*');
      const bare = prefix ? n.slice(0, -1) : n;
      if (!CHANNEL_NAME.test(bare) || bare.includes('*')) throw new EntryError('a channel name has 1 to 80 lower-case letters, digits, "-" or "_" (a trailing "*" makes it a prefix)');
      (prefix ? this.channelPrefixes : this.channelNames).add(bare);
    } else if (CHANNEL_ID.test(e)) {
      this.accepts('channel');
      this.channelIds.add(e);
    } else {
      throw new EntryError('not an address, an @domain, a channel id or a #channel name');
    }
  }

  private syntax(): string {
    const parts: string[] = [];
    if (this.kinds.includes('email')) parts.push('addresses (ana@example.com)', 'domains (@example.com, @*.example.com)');
    if (this.kinds.includes('channel')) parts.push('channel ids (C0123ABCD)', 'channel names (#general, #proj-*)');
    return `Use comma-separated ${parts.join(', ')}, or * for anything.`;
  }

  /** Number of entries (0: allows nothing). */
  get size(): number {
    return (this.any ? 1 : 0) + this.addresses.size + this.domains.size + this.parentDomains.size + this.channelIds.size + this.channelNames.size + this.channelPrefixes.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** True when the address (an Address, or one string parsed strictly) may be written to. An
   *  address that does not parse is never allowed. */
  allowsAddress(addr: Address | string): boolean {
    if (!this.kinds.includes('email')) return false;
    let a: Address;
    try {
      a = typeof addr === 'string' ? parseAddress(addr) : addr;
    } catch {
      return false;
    }
    if (this.any) return true;
    if (this.addresses.has(a.address.toLowerCase()) || this.domains.has(a.domain)) return true;
    for (const parent of this.parentDomains) if (a.domain.endsWith(`.${parent}`)) return true;
    return false;
  }

  /** True when the conversation (by its id, or the name the API reports for it) may be written to. */
  allowsChannel(ch: ChannelRef): boolean {
    if (!this.kinds.includes('channel')) return false;
    if (this.any) return true;
    if (ch.id && this.channelIds.has(ch.id)) return true;
    if (ch.name) {
      const n = normaliseChannelName(ch.name);
      if (!n) return false;
      if (this.channelNames.has(n)) return true;
      for (const p of this.channelPrefixes) if (n.startsWith(p)) return true;
    }
    return false;
  }

  /** The entries, normalised, in a stable order (for hints, --help and logs). */
  describe(): string[] {
    return [
      ...(this.any ? ['*'] : []),
      ...this.addresses,
      ...[...this.domains].map((d) => `@${d}`),
      ...[...this.parentDomains].map((d) => `@*.${d}`),
      ...this.channelIds,
      ...[...this.channelNames].map((n) => `#${n}`),
      ...[...this.channelPrefixes].map((n) => `#${n}*`),
    ];
  }
}

class EntryError extends Error {}

function domainOf(raw: string): string {
  if (!raw) throw new EntryError('a domain entry needs a domain after "@"');
  // The strict addr-spec parser validates and normalises the domain (IDN → punycode, lower case).
  const { domain } = parseAddrSpec(`x@${raw}`);
  return domain;
}

/** Lower-cased punycode form of a domain, or undefined when it is not a valid one. */
export function normaliseDomain(raw: string): string | undefined {
  try {
    return domainOf(raw.trim().replace(/^@/, ''));
  } catch {
    return undefined;
  }
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);

/**
 * Parses a comma-separated allow-list from the environment variable `envName` (`raw` is its value,
 * or the entries already split). Throws ConfigError naming the variable and the bad entry.
 */
export function parseDestinations(envName: string, raw: string | string[] | undefined, opts: ParseDestinationsOptions = {}): Destinations {
  const entries = Array.isArray(raw) ? raw : (raw ?? '').split(',');
  return new Destinations(envName, entries, opts.kinds ?? ['email', 'channel']);
}

export interface AssertAllowedOptions {
  /** The argument the destination came from (to, cc, attendees[2], channel). */
  field?: string;
  /** What the refused destination is called: "Recipient", "Attendee", "Channel" (default by kind). */
  noun?: string;
  /** What did not happen, for the message: default "nothing was done". */
  outcome?: string;
  /** What the caller can do instead, put before the operator advice in the hint. */
  advice?: string;
}

/**
 * Throws an access_denied ToolError unless `d` allows the destination: an address (string or
 * Address) or a channel ({ id, name }). The message names the refused destination and the variable;
 * the hint lists what is allowed (first 20 entries).
 */
export function assertAllowed(d: Destinations, dest: Address | string | ChannelRef, opts: AssertAllowedOptions = {}): void {
  const isChannel = typeof dest === 'object' && !('address' in dest);
  if (isChannel ? d.allowsChannel(dest) : d.allowsAddress(dest as Address | string)) return;
  let shown: string;
  if (isChannel) {
    const ch = dest as ChannelRef;
    const name = ch.name ? `#${normaliseChannelName(ch.name)}` : undefined;
    shown = name && ch.id ? `${name} (${ch.id})` : (name ?? ch.id ?? '(unnamed channel)');
  } else {
    shown = typeof dest === 'string' ? dest.trim() : (dest as Address).address;
  }
  const noun = opts.noun ?? (isChannel ? 'Channel' : 'Recipient');
  const where = opts.field ? ` (${opts.field})` : '';
  const allowed = d.describe();
  const list = allowed.length ? `Allowed: ${allowed.slice(0, SHOW).join(', ')}${allowed.length > SHOW ? `, and ${allowed.length - SHOW} more` : ''}.` : `${d.envName} is empty, so nothing is allowed.`;
  throw new ToolError(`${noun} ${clip(shown)}${where} is not allowed by ${d.envName}; ${opts.outcome ?? 'nothing was done'}.`, {
    code: 'access_denied',
    hint: `${list} ${opts.advice ?? `Choose an allowed ${isChannel ? 'channel' : 'recipient'}`}, or ask the operator to extend ${d.envName}.`,
    details: { refused: shown, ...(opts.field ? { field: opts.field } : {}), variable: d.envName },
  });
}
