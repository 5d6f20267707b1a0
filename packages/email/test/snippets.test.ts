// Snippets parse only the top-level fields that decide how a body reads (Content-Type,
// Content-Transfer-Encoding, Content-Disposition) with the body. Each message here must give the
// snippet that the full parse (get_email's path) gives, and the snippet's source prefix (the first
// 16 kB, as read_inbox fetches it) must give the same result as long as the body fits.
import { describe, expect, it } from 'vitest';
import { parseFull, snippetOf } from '../src/mail.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

const TRACE = [
  'Received: from mx.example.test (mx.example.test [192.0.2.1])',
  '\tby inbound.example.test with ESMTPS id 4Zx; Mon, 1 Jan 2024 10:00:00 +0000',
  'DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1;',
  ' h=from:to:subject:date; bh=abc=; b=def=',
  'From: =?utf-8?q?Ana_L=C3=B3pez?= <ana@example.test>',
  'To: Bob <bob@example.test>, "Team, all" <team@example.test>',
  'Subject: =?utf-8?b?UsOpc3Vtw6kgZGUgbGEgcsOpdW5pb24=?=',
  'Date: Mon, 1 Jan 2024 10:00:00 +0000',
  'Message-ID: <snip@example.test>',
  'X-Content-Type-Note: text/html',
];

const cases: [string, Buffer][] = [
  ['plain UTF-8', crlf([...TRACE, 'Content-Type: text/plain; charset=utf-8', '', 'Hello Bob, the figures are attached.', 'Ana', ''])],
  ['no Content-Type at all', crlf([...TRACE, '', 'Default type body.', ''])],
  ['quoted-printable Latin-1', crlf([...TRACE, 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable', '', 'Caf=E9 cr=E8me, une ligne tr=', 'op longue.', ''])],
  ['base64 UTF-8', crlf([...TRACE, 'Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: base64', '', Buffer.from('Grüße aus Köln — 東京 too.\n').toString('base64'), ''])],
  ['format=flowed with delsp', crlf([...TRACE, 'Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes', '', 'This line is  ', 'continued here.', ''])],
  [
    'folded multipart/alternative',
    crlf([
      ...TRACE,
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative;',
      '\tboundary="==alt=="',
      '',
      '--==alt==',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The text part.',
      '--==alt==',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>The html part.</p>',
      '--==alt==--',
      '',
    ]),
  ],
  ['HTML only, with hidden text', crlf([...TRACE, 'Content-Type: text/html; charset=utf-8', '', '<p>Shown <span style="display:none">HIDDEN-SNIP</span>text.</p>', ''])],
  ['a text/plain attachment at the top', crlf([...TRACE, 'Content-Type: text/plain; name="a.txt"', 'Content-Disposition: attachment; filename="a.txt"', '', 'not the body', ''])],
  ['bare LF line ends', Buffer.from([...TRACE, 'Content-Type: text/plain; charset=utf-8', '', 'Unix line ends.', ''].join('\n'))],
  ['empty header block', crlf(['', 'Body with no header at all.', ''])],
  ['headers only', crlf([...TRACE, 'Content-Type: text/plain'])],
];

const expected = async (source: Buffer) => {
  try {
    return (await parseFull(source)).text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
};

describe('snippets', () => {
  it.each(cases)('%s: the start of the full parse', async (_name, source) => {
    expect(await snippetOf(source)).toBe(await expected(source));
  });

  it('reads bodies in their charset and transfer encoding, and leaves out hidden HTML and attachments', async () => {
    const get = async (name: string) => snippetOf(cases.find(([n]) => n === name)?.[1] as Buffer);
    expect(await get('quoted-printable Latin-1')).toBe('Café crème, une ligne trop longue.');
    expect(await get('base64 UTF-8')).toBe('Grüße aus Köln — 東京 too.');
    expect(await get('format=flowed with delsp')).toBe('This line is continued here.');
    expect(await get('folded multipart/alternative')).toBe('The text part.');
    expect(await get('HTML only, with hidden text')).toBe('Shown text.');
    expect(await get('a text/plain attachment at the top')).toBe('');
    expect(await get('empty header block')).toBe('Body with no header at all.');
    expect(await get('headers only')).toBe('');
  });

  it('a body cut at the fetch limit still gives its start', async () => {
    const long = crlf([...TRACE, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', `Start here. ${'filler text =C3=A9 '.repeat(2000)}`, '']);
    const cut = long.subarray(0, 16 * 1024);
    expect(await snippetOf(cut)).toBe(await expected(long));
    expect(await snippetOf(cut)).toMatch(/^Start here\. filler text é filler/);
  });
});
