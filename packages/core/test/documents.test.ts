import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../src/index.js';
import * as corpus from './documents-corpus.js';

describe('documents: formats', () => {
  it('reads a multi-page PDF with page markers, and page ranges', async () => {
    const bytes = await corpus.pdf([['Invoice 2026-001', 'Total: 1 250.00 EUR'], ['Page two text'], ['Third page']]);
    const r = await extractDocument(bytes);
    expect(r.type).toBe('pdf');
    expect(r.pages).toBe(3);
    expect(r.text).toContain('--- Page 1 of 3 ---\nInvoice 2026-001\nTotal: 1 250.00 EUR');
    expect(r.text).toContain('--- Page 3 of 3 ---\nThird page');
    expect(r.truncated).toBe(false);
    const two = await extractDocument(bytes, { pages: { from: 2, to: 2 } });
    expect(two.text).toBe('--- Page 2 of 3 ---\nPage two text\n');
  });

  it('reads a Word document as markdown, hidden runs dropped, invisible characters removed', async () => {
    const r = await extractDocument(await corpus.docx());
    expect(r.type).toBe('docx');
    expect(r.text).toContain('# Service Agreement');
    expect(r.text).toContain('The parties agree on **payment within 30 days**.');
    expect(r.text).toContain('## Obligations');
    expect(r.text).toContain('- Deliver the goods');
    expect(r.text).toContain('| Item | Price |');
    expect(r.text).toContain('| Licence | 1200 |');
    expect(r.text).toContain(`${corpus.JAPANESE} ${corpus.ARABIC}`);
    expect(r.text).toContain('zerowidth');
    expect(r.text).toContain('Visible clause.');
    expect(r.text).not.toContain('IGNORE');
    expect(r.dropped).toEqual({ 'hidden Word runs': 1 });
    expect(r.invisibleRemoved).toBe(1);
  });

  it('reads a workbook: sheets as tables, dates, formula results, hidden sheet dropped, hidden row marked', async () => {
    const bytes = await corpus.xlsx();
    const r = await extractDocument(bytes);
    expect(r.type).toBe('xlsx');
    expect(r.text).toContain('## Sheet "Prices"\n\n| # | A | B | C |\n| --- | --- | --- | --- |\n| 1 | Product | Price | Qty |\n| 2 | Widget | 9.5 | 3 |\n| 3 | Gadget \\| Pro | 120 | 1 |');
    expect(r.text).toContain(`| 4 (hidden) | ${corpus.JAPANESE} | 1 | 2 |`);
    expect(r.text).toContain('| 1 | Date | 2026-01-15 |');
    expect(r.text).toContain('| 2 | Total | 3 |');
    expect(r.text).not.toContain('IGNORE');
    expect(r.sheets).toEqual([
      { name: 'Prices', hidden: false, read: true },
      { name: 'Summary', hidden: false, read: true },
      { name: 'Secret', hidden: true, read: false },
    ]);
    expect(r.dropped).toEqual({ 'hidden sheets': 1 });
    const one = await extractDocument(bytes, { sheet: 'prices', rows: { from: 2, to: 3 } });
    expect(one.text).toBe('## Sheet "Prices"\n\n| # | A | B | C |\n| --- | --- | --- | --- |\n| 2 | Widget | 9.5 | 3 |\n| 3 | Gadget \\| Pro | 120 | 1 |\n');
    const hidden = await extractDocument(bytes, { sheet: 3, includeHidden: true });
    expect(hidden.text).toContain('## Sheet "Secret" (hidden sheet)');
    await expect(extractDocument(bytes, { sheet: 'Nope' })).rejects.toThrow(/No sheet "Nope".*"Prices", "Summary", "Secret" \(hidden\)/);
  });

  it('reads a workbook whose package puts the worksheets before the workbook part (the ZIP order is free)', async () => {
    const files = unzipSync(await corpus.xlsx());
    const names = Object.keys(files);
    // shared strings and the workbook's relationships first, then the worksheets, the workbook last
    const isSheet = (n: string) => n.startsWith('xl/worksheets/');
    const sheetsFirst = [...names.filter((n) => !isSheet(n) && n !== 'xl/workbook.xml'), ...names.filter(isSheet), 'xl/workbook.xml'];
    const workbookFirst = ['[Content_Types].xml', 'xl/workbook.xml', ...names.filter((n) => n !== '[Content_Types].xml' && n !== 'xl/workbook.xml')];
    for (const order of [sheetsFirst, workbookFirst]) {
      const r = await extractDocument(zipSync(Object.fromEntries(order.map((n) => [n, files[n]]))));
      expect(r.text).toContain('| 2 | Widget | 9.5 | 3 |');
      expect(r.text).toContain(`| 4 (hidden) | ${corpus.JAPANESE} | 1 | 2 |`);
      expect(r.sheets?.map((x) => x.name)).toEqual(['Prices', 'Summary', 'Secret']);
    }
  });

  it('reads CSV (quoted fields, semicolons) only when the hint says CSV; text otherwise', async () => {
    const csv = Buffer.from('name;amount;note\n"Smith; J.";12,5;"said ""hi"""\nمحمد;7;\n');
    const r = await extractDocument(csv, { hint: 'prices.csv' });
    expect(r.type).toBe('csv');
    expect(r.text).toContain('| 2 | Smith; J. | 12,5 | said "hi" |');
    expect(r.text).toContain('| 3 | محمد | 7 |');
    const t = await extractDocument(csv);
    expect(t.type).toBe('text');
    expect(t.text).toBe(csv.toString());
  });

  it('reads a presentation: slides in order, tables, speaker notes, hidden slide dropped', async () => {
    const r = await extractDocument(await corpus.pptx());
    expect(r.type).toBe('pptx');
    expect(r.pages).toBe(3);
    expect(r.text).toContain('--- Slide 1 of 3 ---\nQuarterly Review');
    expect(r.text).toContain(`Revenue up 12% ${corpus.ARABIC}`);
    expect(r.text).toContain('Speaker notes:\nMention the new customers first.');
    expect(r.text).toContain('| Region | Sales |\n| --- | --- |\n| North | 42 |');
    expect(r.text).not.toContain('IGNORE');
    expect(r.dropped).toEqual({ 'hidden slides': 1 });
  });

  it('reads OpenDocument text, spreadsheet and presentation', async () => {
    const t = await extractDocument(corpus.odt());
    expect(t.type).toBe('odt');
    expect(t.text).toContain('# Minutes');
    expect(t.text).toContain(`Present:  Ana and ${corpus.ARABIC}`);
    expect(t.text).toContain('- Budget approved');
    expect(t.text).toContain('| Owner | Due |\n| --- | --- |\n| Ana | Friday |');
    expect(t.text).not.toContain('IGNORE');
    const s = await extractDocument(corpus.ods());
    expect(s.type).toBe('ods');
    expect(s.text).toBe('## Sheet "Stock"\n\n| # | A | B |\n| --- | --- | --- |\n| 1 | Item | Count |\n| 2 | Bolts | 250 |\n');
    expect(s.sheets).toEqual([
      { name: 'Stock', hidden: false, read: true },
      { name: 'Hidden', hidden: true, read: false },
    ]);
    const p = await extractDocument(corpus.odp());
    expect(p.type).toBe('odp');
    expect(p.text).toBe('--- Slide 1 of 2 ---\nRoadmap 2027\n\nSpeaker notes:\nKeep it short\n\n--- Slide 2 of 2 ---\nQuestions\n');
  });

  it('pages by characters with a cursor tied to the document and selection', async () => {
    const bytes = await corpus.pdf(Array.from({ length: 12 }, (_, i) => [`Page ${i + 1} line`]));
    const whole = (await extractDocument(bytes)).text;
    let cursor: string | undefined;
    let got = '';
    let calls = 0;
    do {
      const r = await extractDocument(bytes, { maxChars: 100, cursor });
      expect(r.text.length).toBeLessThanOrEqual(100);
      got += r.text;
      cursor = r.nextCursor;
      expect(r.truncated).toBe(!!cursor);
      calls++;
    } while (cursor && calls < 50);
    expect(got).toBe(whole);
    expect(calls).toBe(Math.ceil(whole.length / 100));
    const first = await extractDocument(bytes, { maxChars: 100 });
    await expect(extractDocument(bytes, { maxChars: 100, cursor: first.nextCursor, pages: { from: 2 } })).rejects.toThrow(/another document or another selection/);
    await expect(extractDocument(await corpus.pdf([['other']]), { cursor: first.nextCursor })).rejects.toThrow(/another document/);
  });
});
