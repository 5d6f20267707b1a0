// PDF: text per page (pdf.js through unpdf, no system binaries), each page under a marker line.
// Lost: images, layout (columns are read in content order), annotations, form field values.
import { type Collector, DocError } from './collect.js';
import type { Range } from './types.js';

interface TextItemLike {
  str?: string;
  hasEOL?: boolean;
}

export async function readPdf(bytes: Uint8Array, out: Collector, pages: Range | undefined): Promise<number> {
  const { getDocumentProxy } = await import('unpdf');
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    doc = await getDocumentProxy(bytes, { disableFontFace: true, useSystemFonts: false, verbosity: 0, stopAtErrors: false });
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'PasswordException') throw new DocError('The PDF is encrypted with a password: it cannot be read', 'access_denied', 'Ask for a copy without a password.');
    throw new DocError(`Not a readable PDF: ${(e as Error)?.message ?? e}`);
  }
  const total = doc.numPages;
  const first = Math.max(1, pages?.from ?? 1);
  if (first > total) throw new DocError(`The PDF has ${total} page${total === 1 ? '' : 's'}: page ${first} does not exist`);
  let last = Math.min(total, pages?.to ?? total);
  if (last - first + 1 > out.limits.maxPages) {
    last = first + out.limits.maxPages - 1;
    out.cap(`pages: at most ${out.limits.maxPages} pages are read per call (pages ${first}-${last} of ${total}); ask for the next range`);
  }
  for (let n = first; n <= last; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    const lines: string[] = [];
    let line = '';
    for (const item of content.items as TextItemLike[]) {
      if (typeof item.str !== 'string') continue;
      line += item.str;
      if (item.hasEOL) {
        lines.push(line);
        line = '';
      }
    }
    if (line) lines.push(line);
    page.cleanup();
    out.push(
      `${n === first ? '' : '\n'}--- Page ${n} of ${total} ---\n${lines
        .join('\n')
        .replace(/[ \t]+\n/g, '\n')
        .trim()}\n`,
    );
  }
  return total;
}
