// OpenDocument (LibreOffice and others): text documents (headings, paragraphs, lists, tables),
// spreadsheets (one markdown table per sheet, repeated rows and columns not expanded when empty)
// and presentations (text per slide, then notes). Hidden paragraphs and hidden text are left out,
// hidden sheets too unless asked for. Lost: images, formulas (values shown), formatting, drawings.
import { type Collector, DocError, table } from './collect.js';
import { SheetWriter } from './sheets.js';
import type { Range, SheetInfo } from './types.js';
import { walkXml } from './xml.js';
import { readZip, utf8 } from './zip.js';

export function odfPackage(bytes: Uint8Array, out: Collector): string {
  const zip = readZip(bytes, out.limits.maxInflatedBytes, (n) => n === 'content.xml' || n === 'META-INF/manifest.xml');
  if (utf8(zip.files.get('META-INF/manifest.xml')).includes('encryption-data'))
    throw new DocError('The document is encrypted with a password: it cannot be read', 'access_denied', 'Ask for a copy without a password.');
  return utf8(zip.files.get('content.xml'));
}

const HIDDEN = new Set(['text:hidden-text', 'text:hidden-paragraph', 'office:annotation']);

export function readOdt(xml: string, out: Collector): void {
  let para: string | undefined;
  let hiddenDepth = 0;
  let listDepth = 0;
  let heading = 0;
  let rows: string[][] | undefined;
  let row: string[] | undefined;
  let cellParts: string[] | undefined;
  let tableDepth = 0;
  let written = 0;
  const emit = (s: string) => out.push(`${written++ ? '\n\n' : ''}${s}`);
  walkXml(
    xml,
    {
      open(name, a, self) {
        if (HIDDEN.has(name) || (name === 'text:p' && a['text:is-hidden'] === 'true')) {
          if (!self) hiddenDepth++;
          out.drop('hidden text');
          return;
        }
        if (hiddenDepth) return;
        switch (name) {
          case 'text:p':
          case 'text:h':
            para = para ?? '';
            if (name === 'text:h') heading = Number(a['text:outline-level'] ?? 1) || 1;
            break;
          case 'text:s':
            if (para !== undefined) para += ' '.repeat(Math.min(100, Number(a['text:c'] ?? 1) || 1));
            break;
          case 'text:tab':
            if (para !== undefined) para += '\t';
            break;
          case 'text:line-break':
            if (para !== undefined) para += '\n';
            break;
          case 'text:list':
            listDepth++;
            break;
          case 'table:table':
            if (tableDepth++ === 0) rows = [];
            break;
          case 'table:table-row':
            if (tableDepth === 1) row = [];
            break;
          case 'table:table-cell':
          case 'table:covered-table-cell':
            if (tableDepth === 1) cellParts = [];
            break;
        }
      },
      close(name) {
        if (HIDDEN.has(name) || (hiddenDepth && name === 'text:p')) {
          if (hiddenDepth) hiddenDepth--;
          return;
        }
        if (hiddenDepth) return;
        switch (name) {
          case 'text:p':
          case 'text:h': {
            const t = (para ?? '').trim();
            para = undefined;
            if (!t) break;
            if (cellParts) cellParts.push(t);
            else if (name === 'text:h') emit(`${'#'.repeat(Math.min(6, heading))} ${t}`);
            else if (listDepth) emit(`${'  '.repeat(listDepth - 1)}- ${t}`);
            else emit(t);
            break;
          }
          case 'text:list':
            listDepth--;
            break;
          case 'table:table-cell':
          case 'table:covered-table-cell':
            if (tableDepth === 1 && cellParts) row?.push(cellParts.join(' '));
            cellParts = undefined;
            break;
          case 'table:table-row':
            if (tableDepth === 1 && row) rows?.push(row);
            row = undefined;
            break;
          case 'table:table':
            if (--tableDepth === 0 && rows?.length) emit(table(rows).trimEnd());
            break;
        }
      },
      text(t) {
        if (!hiddenDepth && para !== undefined) para += t;
      },
    },
    'content',
  );
  if (written) out.push('\n');
}

interface SheetChoice {
  sheet?: string | number;
  rows?: Range;
  includeHidden: boolean;
}

export function readOds(xml: string, out: Collector, choice: SheetChoice): SheetInfo[] {
  const hiddenStyles = new Set<string>();
  let styleName: string | undefined;
  const sheets: SheetInfo[] = [];
  let sheet: SheetInfo | undefined;
  let reading = false;
  let stop = false;
  let read = 0;
  let rowNo = 0;
  let rowRepeat = 1;
  let rowHidden = false;
  let cells: string[] = [];
  let pendingEmpty = 0;
  let cellRepeat = 1;
  let cellText: string[] | undefined;
  let cellValue = '';
  let para: string | undefined;
  let depth = 0;
  let w: SheetWriter | undefined;
  const inRange = (n: number) => !choice.rows || (n >= choice.rows.from && (choice.rows.to === undefined || n <= choice.rows.to));
  walkXml(
    xml,
    {
      open(name, a) {
        if (stop) return;
        if (name === 'style:style') styleName = a['style:family'] === 'table' ? a['style:name'] : undefined;
        else if (name === 'style:table-properties' && styleName && a['table:display'] === 'false') hiddenStyles.add(styleName);
        else if (name === 'table:table') {
          if (depth++ > 0) return;
          const hidden = hiddenStyles.has(a['table:style-name'] ?? '');
          sheet = { name: a['table:name'] ?? `Sheet${sheets.length + 1}`, hidden, read: false };
          sheets.push(sheet);
          const picked = choice.sheet === undefined || (typeof choice.sheet === 'number' ? choice.sheet === sheets.length : choice.sheet.trim().toLowerCase() === sheet.name.trim().toLowerCase());
          reading = picked && (!hidden || choice.includeHidden);
          if (picked && hidden && !choice.includeHidden) out.drop('hidden sheets');
          if (reading && ++read > out.limits.maxSheets) {
            out.cap(`sheets: at most ${out.limits.maxSheets} sheets are read per call; name one with sheet`);
            reading = false;
            stop = true;
            return;
          }
          if (reading) {
            sheet.read = true;
            rowNo = 0;
            w = new SheetWriter(out, `Sheet "${sheet.name}"${hidden ? ' (hidden sheet)' : ''}`);
          }
        } else if (!reading || depth > 1) return;
        else if (name === 'table:table-row') {
          rowRepeat = Math.max(1, Number(a['table:number-rows-repeated'] ?? 1) || 1);
          rowHidden = a['table:visibility'] === 'collapse' || a['table:visibility'] === 'filter';
          cells = [];
          pendingEmpty = 0;
        } else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
          cellRepeat = Math.max(1, Number(a['table:number-columns-repeated'] ?? 1) || 1);
          cellText = [];
          cellValue = a['office:value'] ?? a['office:date-value'] ?? a['office:boolean-value'] ?? a['office:time-value'] ?? '';
        } else if (name === 'text:p' && cellText) para = '';
        else if (name === 'text:s' && para !== undefined) para += ' ';
      },
      close(name) {
        if (stop) return;
        if (name === 'table:table') {
          if (--depth > 0 || !reading) return;
          w?.end(choice.rows ? '(no values in these rows)' : '(empty sheet)');
          reading = false;
          return;
        }
        if (!reading || depth > 1) return;
        if (name === 'text:p' && para !== undefined && cellText) {
          cellText.push(para);
          para = undefined;
        } else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
          const v = (cellText ?? []).join(' ') || cellValue;
          cellText = undefined;
          if (!v) pendingEmpty += cellRepeat;
          else {
            if (cells.length + pendingEmpty + cellRepeat > 1024) return;
            for (let i = 0; i < pendingEmpty; i++) cells.push('');
            pendingEmpty = 0;
            for (let i = 0; i < Math.min(cellRepeat, 1024); i++) cells.push(v);
          }
        } else if (name === 'table:table-row') {
          const filled = cells.filter(Boolean).length;
          const times = filled ? Math.min(rowRepeat, 1000) : 1;
          for (let k = 0; k < times && !stop; k++) {
            rowNo++;
            out.rows++;
            out.cells += filled;
            if (out.rows > out.limits.maxRows) {
              out.cap(`rows: at most ${out.limits.maxRows} rows are scanned per call (empty ones included); ask for a row range`);
              stop = true;
            } else if (out.cells > out.limits.maxCells) {
              out.cap(`cells: at most ${out.limits.maxCells} non-empty cells are read per call; ask for a row range or one sheet`);
              stop = true;
            } else if (filled && inRange(rowNo)) w?.row(rowNo, cells, rowHidden);
          }
          if (!filled) rowNo += rowRepeat - 1;
          if (stop) w?.end('(empty sheet)');
        }
      },
      text(t) {
        if (para !== undefined) para += t;
      },
    },
    'content',
  );
  if (choice.sheet !== undefined && !sheets.some((s) => s.read) && !stop)
    throw new DocError(`No sheet ${typeof choice.sheet === 'number' ? `number ${choice.sheet}` : `"${choice.sheet}"`} to read; the workbook has ${sheets.map((s) => `"${s.name}"`).join(', ')}`);
  return sheets;
}

export function readOdp(xml: string, out: Collector, pages: Range | undefined): number {
  const slides: { name: string; text: string[]; notes: string[] }[] = [];
  let inNotes = false;
  let para: string | undefined;
  walkXml(
    xml,
    {
      open(name, a) {
        if (name === 'draw:page') slides.push({ name: a['draw:name'] ?? '', text: [], notes: [] });
        else if (name === 'presentation:notes') inNotes = true;
        else if ((name === 'text:p' || name === 'text:h') && slides.length) para = '';
        else if (name === 'text:s' && para !== undefined) para += ' ';
        else if (name === 'text:line-break' && para !== undefined) para += '\n';
      },
      close(name) {
        if (name === 'presentation:notes') inNotes = false;
        else if ((name === 'text:p' || name === 'text:h') && para !== undefined) {
          const s = slides[slides.length - 1];
          if (para.trim()) (inNotes ? s.notes : s.text).push(para.trim());
          para = undefined;
        }
      },
      text(t) {
        if (para !== undefined) para += t;
      },
    },
    'content',
  );
  const total = slides.length;
  const first = Math.max(1, pages?.from ?? 1);
  let last = Math.min(total, pages?.to ?? total);
  if (last - first + 1 > out.limits.maxPages) {
    last = first + out.limits.maxPages - 1;
    out.cap(`slides: at most ${out.limits.maxPages} slides are read per call; ask for the next range`);
  }
  for (let n = first; n <= last; n++) {
    const s = slides[n - 1];
    out.push(`${n === first ? '' : '\n'}--- Slide ${n} of ${total} ---\n${s.text.join('\n\n') || '(no text)'}\n${s.notes.length ? `\nSpeaker notes:\n${s.notes.join('\n\n')}\n` : ''}`);
  }
  return total;
}
