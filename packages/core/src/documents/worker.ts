// The extraction worker: one document per worker, ended by its parent after the reply (or at the
// deadline, or when its heap limit is reached). Extraction libraries load here, never in a server's
// main thread.
import { parentPort } from 'node:worker_threads';
import { Collector, DocError, WINDOW_FULL } from './collect.js';
import { isEncryptedCfb, packageType, sniff } from './detect.js';
import type { DocumentType, SheetInfo, WorkerReply, WorkerRequest, WorkerResult } from './types.js';
import { readZip, utf8 } from './zip.js';

async function extract(req: WorkerRequest): Promise<WorkerResult> {
  const { bytes, limits } = req;
  const out = new Collector(req.from, req.want, limits);
  const kind = sniff(bytes);
  let type: DocumentType;
  if (kind === 'pdf') type = 'pdf';
  else if (kind === 'zip') {
    const probe = readZip(bytes, limits.maxInflatedBytes, (n) => n === 'mimetype');
    const t = packageType(probe.names, utf8(probe.files.get('mimetype')).slice(0, 200));
    if (!t) throw new DocError('A ZIP archive that is not an Office or OpenDocument document: there is no text to extract', 'invalid_argument', undefined, true);
    type = t;
  } else if (kind === 'cfb') {
    if (isEncryptedCfb(bytes)) throw new DocError('The Office document is encrypted with a password: it cannot be read', 'access_denied', 'Ask for a copy without a password.');
    throw new DocError('A legacy binary Office file (.doc, .xls or .ppt, 97-2003): this format is not read', 'invalid_argument', 'Save it as .docx, .xlsx or .pptx (or as PDF) and read that.');
  } else if (kind === 'rtf') throw new DocError('An RTF document: this format is not read', 'invalid_argument', 'Save it as .docx or PDF and read that.', true);
  else if (kind === 'text') type = /csv|tab-separated|\.tsv$/i.test(req.hint ?? '') ? 'csv' : 'text';
  else throw new DocError('Not a document this server reads (PDF, Word, Excel, PowerPoint, OpenDocument, CSV or text)', 'invalid_argument', undefined, true);

  let pages: number | undefined;
  let sheets: SheetInfo[] | undefined;
  let full = false;
  try {
    switch (type) {
      case 'pdf':
        pages = await (await import('./pdf.js')).readPdf(bytes, out, req.pages);
        break;
      case 'docx':
        await (await import('./docx.js')).readDocx(bytes, out);
        break;
      case 'xlsx':
        sheets = await (await import('./sheets.js')).readXlsx(bytes, out, req);
        break;
      case 'csv':
        (await import('./sheets.js')).readCsv(bytes, out, req.rows);
        break;
      case 'pptx':
        pages = (await import('./pptx.js')).readPptx(bytes, out, req.pages, req.includeHidden);
        break;
      case 'odt':
      case 'ods':
      case 'odp': {
        const odf = await import('./odf.js');
        const xml = odf.odfPackage(bytes, out);
        if (type === 'odt') odf.readOdt(xml, out);
        else if (type === 'ods') sheets = odf.readOds(xml, out, req);
        else pages = odf.readOdp(xml, out, req.pages);
        break;
      }
      case 'text':
        out.push((await import('./sheets.js')).decodeText(bytes));
        break;
    }
  } catch (e) {
    if (e !== WINDOW_FULL) throw e;
    full = true;
  }
  return {
    type,
    ...out.result(full),
    ...(pages === undefined ? {} : { pages }),
    ...(sheets ? { sheets } : {}),
    capped: out.capped,
    dropped: out.dropped,
    invisibleRemoved: out.invisible,
  };
}

parentPort?.once('message', (req: WorkerRequest) => {
  extract(req).then(
    (result) => parentPort?.postMessage({ ok: true, result } satisfies WorkerReply),
    (e: unknown) => {
      const reply: WorkerReply =
        e instanceof DocError
          ? { ok: false, error: { message: e.message, code: e.code, hint: e.hint, unsupported: e.unsupported } }
          : e instanceof RangeError
            ? { ok: false, error: { message: `The document is too deeply nested or too complex to read: ${e.message}`, code: 'too_large' } }
            : { ok: false, error: { message: `The document could not be read: ${(e as Error)?.message ?? String(e)}`, code: 'failed' } };
      parentPort?.postMessage(reply);
    },
  );
});
