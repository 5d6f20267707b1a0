// Hostile documents: each must end inside its caps, with a clear error or a bounded result. The
// oracles are the error said (never the deadline's, unless the deadline is the point), the worker's
// heap limit, and this process's memory after the attempt.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { extractDocument, ToolError } from '../src/index.js';
import * as corpus from './documents-corpus.js';

const rssMb = () => process.memoryUsage().rss / 1e6;

// This process's RSS sampled while a document is read (the worker is a thread of it): the growth is
// the peak over the RSS before, so memory given back by the time the call ends still counts.
function watchRss() {
  const before = rssMb();
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, rssMb());
  };
  const timer = setInterval(sample, 5);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
    },
    growth: () => {
      const g = peak - before;
      console.error(`peak RSS +${g.toFixed(0)} MB`);
      return g;
    },
  };
}

async function refused(p: Promise<unknown>): Promise<ToolError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ToolError);
  return e as ToolError;
}

// The inputs are built to be slow: each test's bound is the extraction's own deadline (up to 60 s)
// plus building the input, not the suite's default.
describe('documents: hostile input', { timeout: 120_000 }, () => {
  it('a 2 MB .docx whose document part inflates to 2 GiB stops at the inflation cap, not the deadline', async () => {
    const bomb = await corpus.zipBombDocx(2 ** 31);
    expect(bomb.length).toBeLessThan(4 << 20);
    const memory = watchRss();
    const e = await refused(extractDocument(bomb, { timeoutMs: 30_000 })).finally(memory.stop);
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/inflates to more than 105 MB/);
    // The bomb would take 2 GiB; what it may take is the worker's (the 100 MiB inflation cap plus the
    // worker's own heap and code), a few hundred MB, never the bomb's size.
    expect(memory.growth()).toBeLessThan(600);
    const small = await refused(extractDocument(bomb, { limits: { maxInflatedBytes: 10e6 } }));
    expect(small.message).toMatch(/more than 10 MB/);
  });

  it('a workbook with a million empty styled rows is scanned within the row cap and the heap limit', async () => {
    const book = await corpus.styledEmptyRows(1_000_000);
    const memory = watchRss();
    const r = await extractDocument(book, { timeoutMs: 60_000, limits: { memoryMb: 256 } }).finally(memory.stop);
    expect(r.text).toBe('## Sheet "Data"\n\n| # | A |\n| --- | --- |\n| 1 | Header |\n');
    expect(r.capped).toEqual(['rows: at most 250000 rows are scanned per call (empty ones included); ask for a row range']);
    // The worker's heap limit (256 MB) plus its young generation and code: well under what a million
    // rows of cells would take.
    expect(memory.growth()).toBeLessThan(450);
    const few = await extractDocument(book, { limits: { maxRows: 10_000 } });
    expect(few.capped[0]).toMatch(/at most 10000 rows are scanned/);
  });

  it('a PDF nested 50 000 arrays deep with 100 000 extra objects ends with its text or a clear error', async () => {
    const bytes = corpus.hostilePdf(50_000, 100_000);
    const result = await extractDocument(bytes, { timeoutMs: 30_000, limits: { memoryMb: 256 } }).then(
      (r) => r.text,
      (e: ToolError) => e.code,
    );
    expect(['too_large', 'invalid_argument', 'failed'].includes(result) || result.includes('Hello')).toBe(true);
  });

  it('encrypted documents are refused with a clear message', async () => {
    for (const [bytes, what] of [
      [corpus.encryptedPdf(), /PDF is encrypted with a password/],
      [corpus.encryptedOffice(), /Office document is encrypted/],
      [corpus.encryptedOdt(), /document is encrypted/],
    ] as const) {
      const e = await refused(extractDocument(bytes));
      expect(e.message).toMatch(what);
      expect(e.code).toBe('access_denied');
    }
  });

  it('what is not a readable document is refused by its content, whatever it is called', async () => {
    const legacy = corpus.encryptedOffice();
    Buffer.from('EncryptedPackage', 'utf16le')
      .fill(0x41, 0, 2)
      .copy(legacy, 1024 + 256);
    expect((await refused(extractDocument(legacy, { hint: 'report.docx' }))).message).toMatch(/legacy binary Office file/);
    expect((await refused(extractDocument(zipSync({ 'a.txt': Buffer.from('x') }), { hint: 'x.xlsx' }))).message).toMatch(/ZIP archive that is not/);
    expect((await refused(extractDocument(Buffer.from([0, 1, 2, 3, 255, 0]), { hint: 'a.pdf' }))).message).toMatch(/Not a document/);
    expect((await refused(extractDocument(Buffer.from('{\\rtf1 hello}')))).message).toMatch(/RTF/);
    expect((await refused(extractDocument(Buffer.from('%PDF-1.7\ngarbage')))).message).toMatch(/Not a readable PDF/);
  });

  it('the heap limit, the deadline and cancellation end the worker', async () => {
    const book = await corpus.bigXlsx(20_000);
    const oom = await refused(extractDocument(book, { limits: { memoryMb: 8 } }));
    expect(oom.message).toMatch(/needed more than 8 MB/);
    const late = await refused(extractDocument(book, { timeoutMs: 50 }));
    expect(late.code).toBe('timeout');
    const ac = new AbortController();
    const p = extractDocument(book, { signal: ac.signal });
    setTimeout(() => ac.abort(new ToolError('Cancelled by the client', { code: 'cancelled' })), 20);
    expect((await refused(p)).code).toBe('cancelled');
    const big = await refused(extractDocument(book, { limits: { maxBytes: 1000 } }));
    expect(big.code).toBe('too_large');
  });
});
