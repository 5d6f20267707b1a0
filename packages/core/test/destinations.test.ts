// Destination allow-lists: a table of entries and destinations, and the configuration errors.
import { describe, expect, it } from 'vitest';
import { assertAllowed, ConfigError, isToolError, parseAddress, parseDestinations, type ToolError } from '../src/index.js';

const LIST = 'ana@Example.com, @partner.test, @*.corp.test, @bücher.test, C0123ABCD, #General, #proj-*';

// [destination, allowed?]
const ADDRESSES: [string, boolean][] = [
  ['ana@example.com', true],
  ['ANA@EXAMPLE.COM', true], // addresses compare case-insensitively
  ['Ana Lima <ana@example.com>', true],
  ['bob@example.com', false], // only ana at example.com
  ['bob@partner.test', true],
  ['bob@PARTNER.test', true],
  ['bob@mail.partner.test', false], // @domain is exact: no subdomains
  ['bob@partner.test.evil.test', false], // allowed domain as a prefix
  ['bob@evilpartner.test', false], // allowed domain as a suffix without a dot
  ['bob@corp.test', false], // @*.domain is subdomains only
  ['bob@eu.corp.test', true],
  ['bob@a.b.corp.test', true],
  ['bob@xcorp.test', false],
  ['bob@bücher.test', true], // IDN entry and IDN address meet in punycode
  ['bob@xn--bcher-kva.test', true],
  ['bob@p\u0430rtner.test', false], // Cyrillic "а": a look-alike is another domain
  ['bob@partner\u3002test', false], // ideographic full stop
  ['"ana"@example.com', false], // refused by the strict parser
  ['ana@example.com, evil@bad.test', false],
  ['ana@example.com (evil@bad.test)', false],
  ['', false],
];

const CHANNELS: [{ id?: string; name?: string }, boolean][] = [
  [{ id: 'C0123ABCD' }, true],
  [{ id: 'C0123ABCD', name: 'renamed' }, true],
  [{ id: 'c0123abcd' }, false], // ids are exact
  [{ id: 'C0123ABCE' }, false],
  [{ name: 'general' }, true],
  [{ name: '#General' }, true],
  [{ name: 'GENERAL' }, true],
  [{ id: 'C999', name: 'general' }, true], // matched by the name the API reports
  [{ name: 'general-2' }, false],
  [{ name: 'proj-apollo' }, true],
  [{ name: 'proj-' }, true],
  [{ name: 'proj' }, false],
  [{ name: 'myproj-x' }, false],
  [{ name: '#' }, false],
  [{}, false],
];

describe('parseDestinations', () => {
  const d = parseDestinations('TEST_ALLOWED', LIST);

  it.each(ADDRESSES)('address %j → %s', (addr, ok) => {
    expect(d.allowsAddress(addr)).toBe(ok);
  });

  it.each(CHANNELS)('channel %j → %s', (ch, ok) => {
    expect(d.allowsChannel(ch)).toBe(ok);
  });

  it('describes its entries normalised', () => {
    expect(d.describe()).toEqual(['ana@example.com', '@partner.test', '@xn--bcher-kva.test', '@*.corp.test', 'C0123ABCD', '#general', '#proj-*']);
    expect(d.size).toBe(7);
  });

  it('an empty list allows nothing', () => {
    for (const raw of ['', ' , ,', undefined]) {
      const e = parseDestinations('X', raw);
      expect(e.isEmpty).toBe(true);
      expect(e.allowsAddress('ana@example.com')).toBe(false);
      expect(e.allowsChannel({ id: 'C0123ABCD', name: 'general' })).toBe(false);
    }
  });

  it('* allows anything, but only when written; never an address that does not parse', () => {
    const any = parseDestinations('X', '*');
    expect(any.allowsAddress('who@ever.test')).toBe(true);
    expect(any.allowsChannel({ id: 'D0000001' })).toBe(true);
    expect(any.allowsAddress('a@b.test, c@d.test')).toBe(false);
    expect(parseDestinations('X', '@example.com').allowsAddress('a@other.test')).toBe(false);
  });

  it('kinds: a recipient list matches no channel, a channel list no address', () => {
    const mail = parseDestinations('M', '*', { kinds: ['email'] });
    expect(mail.allowsAddress('a@b.test')).toBe(true);
    expect(mail.allowsChannel({ id: 'C0123ABCD' })).toBe(false);
    const chat = parseDestinations('S', '*', { kinds: ['channel'] });
    expect(chat.allowsAddress('a@b.test')).toBe(false);
  });

  const GARBAGE: [string, string, ('email' | 'channel')[]?][] = [
    ['bare word', 'general'],
    ['lower-case id', 'c0123abcd'],
    ['short id', 'C12'],
    ['quoted local part', '"x"@y.test'],
    ['two @', 'a@b@c.test'],
    ['named address', 'Ana <ana@example.com>'],
    ['domain without dot', '@localhost'],
    ['IP literal', 'a@[127.0.0.1]'],
    ['bad domain wildcard', '@*example.com'],
    ['wildcard in the middle', '@ex*.com'],
    ['empty domain', '@'],
    ['empty wildcard domain', '@*.'],
    ['channel name with a space', '#gen eral'],
    ['channel name with a dot', '#gen.eral'],
    ['channel star in the middle', '#pro*j'],
    ['bare #', '#'],
    ['star-ish', '**'],
    ['URL', 'https://example.com'],
    ['channel in a recipient list', '#general', ['email']],
    ['id in a recipient list', 'C0123ABCD', ['email']],
    ['address in a channel list', 'a@b.test', ['channel']],
  ];
  it.each(GARBAGE)('refuses %s at configuration, naming the variable and the entry', (_n, entry, kinds) => {
    let err: unknown;
    try {
      const good = kinds?.includes('email') === false ? 'C0123ABCD' : 'ana@example.com';
      parseDestinations('TEST_ALLOWED', `${good},${entry}`, kinds ? { kinds } : {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('TEST_ALLOWED');
    expect((err as Error).message).toContain(`"${entry}"`);
  });
});

describe('assertAllowed', () => {
  const d = parseDestinations('SLACK_ALLOWED_CHANNELS', 'C0123ABCD,#general');
  const refusal = (f: () => void): ToolError => {
    try {
      f();
    } catch (e) {
      if (isToolError(e)) return e;
      throw e;
    }
    throw new Error('not refused');
  };

  it('passes allowed destinations', () => {
    expect(() => assertAllowed(d, { id: 'C0123ABCD' })).not.toThrow();
    expect(() => assertAllowed(d, { id: 'C1', name: '#General' })).not.toThrow();
  });

  it('names the refused channel, the variable and what is allowed', () => {
    const e = refusal(() => assertAllowed(d, { id: 'C0999ZZZZ', name: 'random' }, { field: 'channel', outcome: 'nothing was posted' }));
    expect(e.code).toBe('access_denied');
    expect(e.message).toBe('Channel #random (C0999ZZZZ) (channel) is not allowed by SLACK_ALLOWED_CHANNELS; nothing was posted.');
    expect(e.hint).toContain('Allowed: C0123ABCD, #general.');
    expect(e.details).toMatchObject({ refused: '#random (C0999ZZZZ)', field: 'channel', variable: 'SLACK_ALLOWED_CHANNELS' });
  });

  it('names a refused address; lists at most 20 allowed entries', () => {
    const many = parseDestinations('GOOGLE_ALLOWED_RECIPIENTS', Array.from({ length: 25 }, (_, i) => `u${i}@example.com`).join(','));
    const e = refusal(() => assertAllowed(many, parseAddress('Eve <eve@bad.test>'), { field: 'attendees[0]', noun: 'Attendee' }));
    expect(e.message).toMatch(/^Attendee eve@bad\.test \(attendees\[0\]\) is not allowed by GOOGLE_ALLOWED_RECIPIENTS/);
    expect(e.hint).toContain('u19@example.com, and 5 more.');
    expect(e.hint).not.toContain('u20@example.com');
  });

  it('an empty list says so', () => {
    const e = refusal(() => assertAllowed(parseDestinations('SLACK_ALLOWED_CHANNELS', ''), { name: 'general' }));
    expect(e.hint).toContain('SLACK_ALLOWED_CHANNELS is empty');
  });
});
