// Recipient lists and the recipient allow-list of the email server.
//
// The strict address parser (one address per string, no comments, encoded words, quoted local
// parts, source routes or look-alike domains) and the allow-list matcher live in core, shared
// with every server that writes to people; this file applies them to to/cc/bcc.
import { AddressError, assertAllowed, parseAddress, parseAddrSpec, parseDestinations, ToolError, type Address, type Destinations } from '@bizmcp/core';

export { AddressError, parseAddress, parseAddrSpec, type Address };

/** A recipient list (to, cc, bcc): every entry parsed; the first bad one names itself and the field. */
export function parseRecipients(field: string, list: unknown[] | undefined): Address[] {
  return (list ?? []).map((entry, i) => {
    try {
      return parseAddress(entry);
    } catch (e) {
      throw new ToolError(`${field}[${i}] is not an accepted address: ${(e as Error).message}`, {
        code: 'invalid_argument',
        hint: 'Give one plain address per entry, e.g. "ana@example.com" or "Ana Lima <ana@example.com>".',
        details: { field, index: i },
      });
    }
  });
}

/** EMAIL_ALLOWED_RECIPIENTS: addresses, @domain and @*.domain entries (or * explicitly). */
export class AllowList {
  readonly destinations: Destinations;

  /** Entries as given; a bad one throws ConfigError naming EMAIL_ALLOWED_RECIPIENTS and the entry. */
  constructor(entries: string[]) {
    this.destinations = parseDestinations('EMAIL_ALLOWED_RECIPIENTS', entries, { kinds: ['email'] });
  }

  get size() {
    return this.destinations.size;
  }

  allows(a: Address): boolean {
    return this.destinations.allowsAddress(a);
  }

  describe(): string[] {
    return this.destinations.describe();
  }
}

/** Refuses the whole message when any recipient is outside the allow-list, naming the first. */
export function checkAllowed(allow: AllowList | undefined, recipients: { field: string; list: Address[] }[]) {
  if (!allow) return;
  for (const { field, list } of recipients) {
    for (const a of list) {
      assertAllowed(allow.destinations, a, { field, outcome: 'nothing was sent or saved', advice: 'Remove the recipient' });
    }
  }
}
