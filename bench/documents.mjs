// Document extraction: pages per second for a 200-page PDF and rows per second for a 100 000-row
// workbook, and peak RSS, through core's documents module (worker thread, caps, untrusted-text
// layer, markdown) next to the same libraries called bare (unpdf, exceljs) in the same run: the
// floor. Each measurement runs in a fresh child process so its peak RSS is its own.
// The module is bundled here with esbuild exactly as a server's build does (index + worker file).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { lower, quick, reportRatios, sized } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const core = join(root, 'packages/core');
const req = createRequire(join(core, 'package.json'));
// The short run (BENCH_QUICK=1): a 50-page PDF and a 20 000-row workbook, in their own folder.
const out = join(root, 'bench/node_modules/.cache', quick ? 'documents-quick' : 'documents');
const PAGES = sized(200, 50);
const ROWS = sized(100_000, 20_000);
const [, , role, what] = process.argv;

async function makeCorpus() {
  mkdirSync(out, { recursive: true });
  const esbuild = req('esbuild');
  await esbuild.build({
    entryPoints: { index: join(core, 'src/documents/index.ts'), 'documents-worker': join(core, 'src/documents/worker.ts') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    splitting: true,
    outdir: out,
    outExtension: { '.js': '.js' },
    nodePaths: [join(core, 'node_modules')],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  const { PDFDocument, StandardFonts } = req('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 1; p <= PAGES; p++) {
    const page = doc.addPage([595, 842]);
    for (let l = 0; l < 20; l++) page.drawText(`Page ${p} line ${l + 1}: invoice item ${p * 100 + l} delivered`, { x: 50, y: 780 - l * 16, size: 11, font });
  }
  writeFileSync(join(out, 'doc.pdf'), await doc.save());
  const ExcelJS = req('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Data');
  for (let i = 1; i <= ROWS; i++) ws.addRow([i, `name ${i}`, i * 1.5, i % 7 === 0, `city ${i % 100}`]);
  writeFileSync(join(out, 'book.xlsx'), Buffer.from(await wb.xlsx.writeBuffer()));
}

async function child() {
  const bytes = readFileSync(join(out, what === 'pdf' ? 'doc.pdf' : 'book.xlsx'));
  // The module's main-thread part is loaded before timing, as it is in a running server (it is part
  // of core); its worker, which loads the extraction library, is timed like the bare import.
  const mod = role === 'module' ? await import(pathToFileURL(join(out, 'index.js')).href) : undefined;
  const t0 = performance.now();
  let chars = 0;
  if (mod) {
    const { extractDocument } = mod;
    const r = await extractDocument(bytes, { maxChars: 1e9, limits: { maxRows: ROWS + 10 } });
    chars = r.text.length;
  } else if (what === 'pdf') {
    const { getDocumentProxy } = await import(pathToFileURL(req.resolve('unpdf')).href);
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    for (let n = 1; n <= pdf.numPages; n++) {
      const c = await (await pdf.getPage(n)).getTextContent();
      for (const it of c.items) chars += (it.str ?? '').length + (it.hasEOL ? 1 : 0);
    }
  } else {
    const ExcelJS = req('exceljs');
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit' });
    for await (const ws of reader) for await (const row of ws) chars += row.values.map((v) => String(v ?? '')).join('|').length;
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, chars, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

if (role) await child();
else {
  await makeCorpus();
  const run = (r, w) => JSON.parse(spawnSync(process.execPath, [import.meta.filename, r, w], { encoding: 'utf8' }).stdout);
  const rows = [];
  const ratios = {};
  for (const w of ['pdf', 'xlsx']) {
    const res = { bare: [], module: [] };
    for (let i = 0; i < 3; i++) for (const r of ['bare', 'module']) res[r].push(run(r, w)); // interleaved
    const med = (a, k) => a.map((x) => x[k]).sort((x, y) => x - y)[1];
    const n = w === 'pdf' ? PAGES : ROWS;
    const unit = w === 'pdf' ? 'pages/s' : 'rows/s';
    const b = med(res.bare, 'ms');
    const m = med(res.module, 'ms');
    const doc = w === 'pdf' ? 'PDF' : 'workbook';
    ratios[`${doc} extraction time, documents module / bare library`] = lower(m / b);
    ratios[`${doc} extraction peak RSS, documents module / bare library`] = lower(med(res.module, 'maxRssMb') / med(res.bare, 'maxRssMb'));
    rows.push(
      `${w === 'pdf' ? `${PAGES}-page PDF` : `${ROWS}-row workbook`} | ${Math.round((n / b) * 1000)} ${unit} | ${Math.round((n / m) * 1000)} ${unit} | ${(m / b).toFixed(2)}x | ${Math.round(med(res.bare, 'maxRssMb'))} MB | ${Math.round(med(res.module, 'maxRssMb'))} MB`,
    );
  }
  console.log('| document | bare library | documents module | time ratio | bare peak RSS | module peak RSS |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r} |`);
  reportRatios(ratios);
}
