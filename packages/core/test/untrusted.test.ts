// The untrusted-text layer: invisible characters by Unicode property, and the CSS-aware hidden-HTML
// pass, checked on the shared table (the same table runs through the email and scraping binaries).
import { describe, expect, it } from 'vitest';
import * as cheerio from 'cheerio';
import { cleanDeep, countInvisible, stripInvisible, visibleHtml, visibleText } from '../src/untrusted.js';
import { caseDocument, UNTRUSTED_CASES } from './fixtures/untrusted-cases.js';

const textOf = (html: string) => {
  const $ = cheerio.load(html);
  $('script, style, head').remove();
  return stripInvisible($('body').text()).replace(/\s+/g, ' ');
};

describe('shared table through the core layer', () => {
  it('has at least 60 cases, with controls', () => {
    expect(UNTRUSTED_CASES.length).toBeGreaterThanOrEqual(60);
    expect(UNTRUSTED_CASES.filter((c) => c.kind === 'control').length).toBeGreaterThanOrEqual(10);
    expect(new Set(UNTRUSTED_CASES.map((c) => c.id)).size).toBe(UNTRUSTED_CASES.length);
  });
  for (const c of UNTRUSTED_CASES) {
    it(`${c.kind} ${c.id}`, async () => {
      const { html, hiddenRemoved } = await visibleHtml(caseDocument(c));
      const text = textOf(html);
      for (const a of c.absent) expect(text).not.toContain(a);
      for (const p of c.present) expect(text).toContain(p);
      if (c.kind === 'hidden-html') expect(hiddenRemoved).toBeGreaterThan(0);
      else expect(hiddenRemoved).toBe(0);
    });
  }
});

describe('stripInvisible', () => {
  it('removes by property and keeps what text needs', () => {
    expect(stripInvisible('a\u061Cb\u2800c\u0007d')).toBe('abcd');
    expect(countInvisible('a\u061Cb\u2800c')).toBe(2);
    expect(stripInvisible('x\u200D\u{1F600}')).toBe('x\u{1F600}'); // ZWJ after a letter, before an emoji
    expect(stripInvisible('\u{1F600}\u200D\u200D\u{1F600}')).toBe('\u{1F600}\u{1F600}');
    expect(stripInvisible('\u{1F3F4}\u{E0069}\u{E0067}\u{E006E}\u{E007F}')).toBe('\u{1F3F4}'); // not an RGI flag: tags removed
    expect(stripInvisible('tab\tline\r\nend')).toBe('tab\tline\r\nend');
    expect(stripInvisible('\u0600\u0661')).toBe('\u0600\u0661'); // a visible Arabic number sign
  });
  it('cleans every string of a JSON-like value', () => {
    expect(cleanDeep({ 'k\u200B': ['a\u202Eb', 1, null, { n: 'c\u2066' }] })).toEqual({ k: ['ab', 1, null, { n: 'c' }] });
  });
});

describe('removeHidden', () => {
  it('counts what it removed and keeps the rest of the document', async () => {
    const r = await visibleHtml('<p>a</p><p style="display:none">b</p><p hidden>c</p><p style="color:#fff">d</p>');
    expect(r.hiddenRemoved).toBe(3);
    expect(textOf(r.html)).toBe('a');
  });
  it('visibleText: the text a reader sees, without hidden elements, scripts, styles or images', async () => {
    const r = await visibleText('<style>p{}</style><script>run()</script><p>Hello <img alt="logo" src="x.png">team,</p><p style="display:none">HIDDEN</p><p>see you</p>');
    expect(r.hiddenRemoved).toBe(1);
    expect(r.text.replace(/\s+/g, ' ').trim()).toBe('Hello team, see you');
  });
  it('empty hidden spacers are removed but not counted; white text on a background image stays', async () => {
    const r = await visibleHtml(
      '<div style="height:1px;line-height:1px;font-size:1px;overflow:hidden">&nbsp;</div><table><tr><td background="hero.jpg"><p style="color:#ffffff">On the image</p></td></tr></table><div style="background:url(x.png)"><span style="color:#fff">Also on an image</span></div>',
    );
    expect(r.hiddenRemoved).toBe(0);
    expect(textOf(r.html)).toBe('On the imageAlso on an image');
  });
  it('media queries other than print count; print-only rules do not', async () => {
    const r = await visibleHtml('<style>@media print{.p{display:none}} @media (max-width:10px){.m{display:none}}</style><p class="p">printed</p><p class="m">narrow</p>');
    expect(textOf(r.html)).toBe('printed');
  });
  it('documents nested far deeper than any real one are processed without recursion', async () => {
    const n = 20_000;
    const r = await visibleHtml(`${'<div>'.repeat(n)}<p style="display:none">gone</p>bottom &amp; <b a="&quot;">end</b><br>${'</div>'.repeat(n)}`);
    expect(r.hiddenRemoved).toBe(1);
    expect(r.html.endsWith(`bottom &amp; <b a="&quot;">end</b><br>${'</div>'.repeat(n)}`)).toBe(true);
  });
  it('a style attribute that is not one CSS rule is still read', async () => {
    const r = await visibleHtml('<p style="color:red}x{;display:none">gone</p><p>kept</p>');
    expect(textOf(r.html)).toBe('kept');
  });
});
