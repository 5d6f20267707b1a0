// Word .docx: mammoth's HTML turned into markdown (headings, lists, tables, links, footnotes).
// Hidden runs (w:vanish) are removed before conversion and counted. Images are not read (their alt
// text is kept); lost: comments, tracked-change history, headers and footers, text boxes' layout.
import { zipSync } from 'fflate';
import type { Collector } from './collect.js';
import { block, parseHtml } from './markdown.js';
import { readZip, utf8 } from './zip.js';

const XML_PART = /\.(xml|rels)$/i;
// A run whose properties include w:vanish (hidden text); a run never contains another run.
const HIDDEN_RUN = /<w:r\b[^>]*>(?:(?!<\/w:r>)[\s\S])*?<w:vanish(?:\s+w:val="(?:1|true|on)")?\s*\/>(?:(?!<\/w:r>)[\s\S])*?<\/w:r>/g;

export async function readDocx(bytes: Uint8Array, out: Collector): Promise<void> {
  const zip = readZip(bytes, out.limits.maxInflatedBytes, (n) => XML_PART.test(n));
  const files: Record<string, Uint8Array> = {};
  for (const name of zip.names) files[name] = zip.files.get(name) ?? new Uint8Array(0);
  for (const part of ['word/document.xml', 'word/footnotes.xml', 'word/endnotes.xml']) {
    const xml = utf8(files[part]);
    if (!xml.includes('w:vanish')) continue;
    let hidden = 0;
    const visible = xml.replace(HIDDEN_RUN, (run) => (/<w:vanish\s+w:val="(?:0|false|off)"/.test(run) ? run : (hidden++, '')));
    if (hidden) {
      out.drop('hidden Word runs', hidden);
      files[part] = Buffer.from(visible, 'utf8');
    }
  }
  const repacked = zipSync(files, { level: 0 });
  const mammoth = (await import('mammoth')).default;
  const { value } = await mammoth.convertToHtml(
    { buffer: Buffer.from(repacked.buffer, repacked.byteOffset, repacked.byteLength) },
    { convertImage: mammoth.images.imgElement(async () => ({ src: '' })), ignoreEmptyParagraphs: true },
  );
  const root = parseHtml(value);
  let first = true;
  for (const n of root.children) {
    const md = block(n);
    if (!md) continue;
    out.push(`${first ? '' : '\n\n'}${md}`);
    first = false;
  }
  if (!first) out.push('\n');
}
