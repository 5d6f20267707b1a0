// PowerPoint .pptx: text per slide in presentation order (titles as headings, tables as markdown),
// then the speaker notes. Hidden slides are left out unless asked for. Lost: images, charts,
// SmartArt text drawn from data parts, animations, layout.
import { type Collector, DocError, table } from './collect.js';
import type { Range } from './types.js';
import { relationships, walkXml } from './xml.js';
import { readZip, utf8 } from './zip.js';

interface Block {
  text?: string;
  title?: boolean;
  rows?: string[][];
  placeholder?: string;
}

/** Paragraphs and tables of one slide or notes part. */
function blocks(xml: string, part: string): { blocks: Block[]; hidden: boolean } {
  const out: Block[] = [];
  let hidden = false;
  let ph: string | undefined;
  let para: string | undefined;
  let inText = false;
  let rows: string[][] | undefined;
  let row: string[] | undefined;
  let cellText: string[] | undefined;
  walkXml(
    xml,
    {
      open(name, a) {
        switch (name) {
          case 'p:sld':
            hidden = a.show === '0' || a.show === 'false';
            break;
          case 'p:sp':
            ph = undefined;
            break;
          case 'p:ph':
            ph = a.type ?? 'body';
            break;
          case 'a:tbl':
            rows = [];
            break;
          case 'a:tr':
            row = [];
            break;
          case 'a:tc':
            cellText = [];
            break;
          case 'a:p':
            para = '';
            break;
          case 'a:t':
            inText = true;
            break;
          case 'a:br':
            if (para !== undefined) para += '\n';
            break;
          case 'a:tab':
            if (para !== undefined) para += '\t';
            break;
        }
      },
      close(name) {
        switch (name) {
          case 'a:t':
            inText = false;
            break;
          case 'a:p':
            if (para?.trim()) {
              if (cellText) cellText.push(para.trim());
              else out.push({ text: para.trim(), title: ph === 'title' || ph === 'ctrTitle', placeholder: ph });
            }
            para = undefined;
            break;
          case 'a:tc':
            row?.push((cellText ?? []).join(' '));
            cellText = undefined;
            break;
          case 'a:tr':
            if (row) rows?.push(row);
            row = undefined;
            break;
          case 'a:tbl':
            if (rows?.length) out.push({ rows });
            rows = undefined;
            break;
          case 'p:sp':
            ph = undefined;
            break;
        }
      },
      text(t) {
        if (inText && para !== undefined) para += t;
      },
    },
    part,
  );
  return { blocks: out, hidden };
}

const render = (bs: Block[]) => bs.map((b) => (b.rows ? table(b.rows).trimEnd() : b.title ? `# ${b.text}` : b.text)).join('\n\n');

export function readPptx(bytes: Uint8Array, out: Collector, pages: Range | undefined, includeHidden: boolean): number {
  const zip = readZip(bytes, out.limits.maxInflatedBytes, (n) => /^ppt\/(presentation\.xml|_rels\/presentation\.xml\.rels|slides\/.*|notesSlides\/[^/]*\.xml)$/.test(n));
  const rels = relationships(utf8(zip.files.get('ppt/_rels/presentation.xml.rels')), 'ppt');
  const order: string[] = [];
  walkXml(
    utf8(zip.files.get('ppt/presentation.xml')),
    {
      open(name, a) {
        if (name === 'p:sldId') {
          const target = rels.get(a['r:id'])?.target;
          if (target) order.push(target);
        }
      },
    },
    'presentation',
  );
  const total = order.length;
  const first = Math.max(1, pages?.from ?? 1);
  if (total && first > total) throw new DocError(`The presentation has ${total} slide${total === 1 ? '' : 's'}: slide ${first} does not exist`);
  let last = Math.min(total, pages?.to ?? total);
  if (last - first + 1 > out.limits.maxPages) {
    last = first + out.limits.maxPages - 1;
    out.cap(`slides: at most ${out.limits.maxPages} slides are read per call (slides ${first}-${last} of ${total}); ask for the next range`);
  }
  let written = 0;
  for (let n = first; n <= last; n++) {
    const path = order[n - 1];
    const slide = blocks(utf8(zip.files.get(path)), `slide ${n}`);
    if (slide.hidden && !includeHidden) {
      out.drop('hidden slides');
      continue;
    }
    const dir = path.slice(0, path.lastIndexOf('/'));
    const file = path.slice(path.lastIndexOf('/') + 1);
    const slideRels = zip.files.get(`${dir}/_rels/${file}.rels`);
    let notes = '';
    if (slideRels) {
      for (const r of relationships(utf8(slideRels), dir).values()) {
        if (!r.type.endsWith('/notesSlide')) continue;
        const n2 = blocks(utf8(zip.files.get(r.target)), `notes of slide ${n}`);
        notes = render(n2.blocks.filter((b) => b.rows || b.placeholder === 'body'));
      }
    }
    const body = render(slide.blocks);
    out.push(`${written++ ? '\n' : ''}--- Slide ${n} of ${total}${slide.hidden ? ' (hidden slide)' : ''} ---\n${body || '(no text)'}\n${notes ? `\nSpeaker notes:\n${notes}\n` : ''}`);
  }
  return total;
}
