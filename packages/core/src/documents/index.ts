// Business documents as text: PDF, Word (.docx), Excel (.xlsx), CSV, PowerPoint (.pptx) and
// OpenDocument (.odt, .ods, .odp), detected by content, extracted in a worker thread with a heap
// limit and the caller's deadline, capped while reading, cleaned by the untrusted-text layer, and
// paged by characters with a cursor.
//
// The worker is a separate file: a server's build lists `documents-worker` as an entry
// (`../core/src/documents/worker.ts`) next to its index; from the sources (tests) it is bundled on
// first use with esbuild.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { ToolError, type ToolErrorCode } from '../errors.js';
import { decodeCursor, encodeCursor } from '../paging.js';
import { mediaTypeOf } from './detect.js';
import type { DocumentLimits, DocumentType, Range, SheetInfo, WorkerReply, WorkerRequest } from './types.js';

export type { DocumentLimits, DocumentType, Range as DocumentRange, SheetInfo as DocumentSheet } from './types.js';
export { isDocumentMediaType, sniff as sniffDocument } from './detect.js';

/** Default caps (each overridable per call). */
export const DOCUMENT_LIMITS: DocumentLimits = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxInflatedBytes: 100 * 1024 * 1024,
  maxPages: 500,
  maxSheets: 50,
  maxCells: 2_000_000,
  maxRows: 250_000,
  memoryMb: 512,
});

export interface ExtractOptions {
  /** Cancels the extraction (the worker is ended). */
  signal?: AbortSignal;
  /** Absolute time (ms since epoch) by which the extraction must end. */
  deadline?: number;
  /** Time allowed from now, in ms (default 60 000); the earlier of this and `deadline` applies. */
  timeoutMs?: number;
  /** Characters of text returned by this call (default 40 000). */
  maxChars?: number;
  /** nextCursor of a previous call on the same document with the same selection. */
  cursor?: string;
  /** Without a cursor: the character offset to start at (for tools that page by offset). */
  start?: number;
  /** PDF pages or slides to read, 1-based, inclusive. */
  pages?: Range;
  /** The one sheet to read: its name or its 1-based position. */
  sheet?: string | number;
  /** Rows to read (sheet row numbers, 1-based, inclusive). */
  rows?: Range;
  /** Read hidden sheets and hidden slides too (marked as hidden). */
  includeHidden?: boolean;
  /** A file name or media type: only tells CSV from plain text. */
  hint?: string;
  limits?: Partial<DocumentLimits>;
}

/** Whether an error from extractDocument says the bytes are not a format it reads (the caller may offer the raw bytes instead). */
export const isUnsupportedDocument = (e: unknown): boolean => e instanceof ToolError && e.details?.unsupportedFormat === true;

export interface DocumentText {
  type: DocumentType;
  mediaType: string;
  text: string;
  /** Character offset of `text` in the whole extracted text. */
  offset: number;
  /** More text exists after this window (pass nextCursor to get it). */
  truncated: boolean;
  nextCursor?: string;
  /** Pages of a PDF, slides of a presentation. */
  pages?: number;
  sheets?: SheetInfo[];
  /** Caps reached while reading: the text stops there, for the reason given. */
  capped: string[];
  /** Hidden content left out, by kind, with counts. */
  dropped: Record<string, number>;
  /** Invisible characters removed from the text. */
  invisibleRemoved: number;
}

const CursorSchema = z.object({ o: z.number().int().min(0), k: z.string() });

/** Ties a cursor to the document's bytes and the selection it was made for. */
function fingerprint(bytes: Uint8Array, o: ExtractOptions): string {
  const h = createHash('sha256').update(bytes);
  h.update(JSON.stringify([o.pages ?? null, o.sheet ?? null, o.rows ?? null, !!o.includeHidden]));
  return h.digest('base64url').slice(0, 16);
}

let devWorker: URL | undefined;

/** The worker's file: beside the running bundle, or bundled now from the sources. */
async function workerUrl(): Promise<URL> {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    const built = new URL('./documents-worker.js', here);
    if (!existsSync(fileURLToPath(built))) throw new ToolError('Document extraction is not part of this build (documents-worker.js is missing beside it)', { code: 'unavailable' });
    return built;
  }
  if (devWorker) return devWorker;
  const src = join(dirname(fileURLToPath(here)), 'worker.ts');
  const outDir = join(dirname(fileURLToPath(here)), '../../node_modules/.cache/bizmcp-documents');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `worker-${process.pid}-${Date.now()}.mjs`);
  // Hidden from bundlers: only the sources use it, a built server never reaches this line.
  const specifier = 'esbuild';
  const esbuild = (await import(/* @vite-ignore */ specifier)) as typeof import('esbuild');
  const r = await esbuild.build({ entryPoints: [src], bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external', write: false, outfile });
  writeFileSync(outfile, r.outputFiles[0].contents);
  process.once('exit', () => rmSync(outfile, { force: true }));
  devWorker = pathToFileURL(outfile);
  return devWorker;
}

const CODES = new Set<ToolErrorCode>(['invalid_argument', 'too_large', 'access_denied', 'failed']);

/**
 * Extracts the text of a document as markdown-like text with structure (page and slide markers,
 * headings, lists, tables; one table per sheet), one window of characters at a time.
 * Throws ToolError for what the caller should know: not a document, encrypted, a cap, the deadline.
 */
export async function extractDocument(bytes: Uint8Array, opts: ExtractOptions = {}): Promise<DocumentText> {
  const limits: DocumentLimits = { ...DOCUMENT_LIMITS, ...opts.limits };
  if (bytes.byteLength > limits.maxBytes) throw new ToolError(`The document is ${bytes.byteLength} bytes; at most ${limits.maxBytes} are read`, { code: 'too_large' });
  const want = Math.max(1, Math.floor(opts.maxChars ?? 40_000));
  const key = fingerprint(bytes, opts);
  let from = Math.max(0, Math.floor(opts.start ?? 0));
  if (opts.cursor) {
    const c = decodeCursor(opts.cursor, CursorSchema);
    if (c.k !== key)
      throw new ToolError('This cursor belongs to another document or another selection (pages, sheet, rows)', {
        code: 'invalid_argument',
        hint: 'Pass the same document and selection as the call that returned the cursor, or omit cursor to start again.',
      });
    from = c.o;
  }
  opts.signal?.throwIfAborted();
  const url = await workerUrl();
  const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? 60_000, opts.deadline ? opts.deadline - Date.now() : Number.POSITIVE_INFINITY));
  // The bytes are copied once into the worker's message (the caller keeps its buffer).
  const req: WorkerRequest = { bytes, hint: opts.hint, from, want, pages: opts.pages, sheet: opts.sheet, rows: opts.rows, includeHidden: !!opts.includeHidden, limits };
  const worker = new Worker(url, {
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, limits.memoryMb / 8)), stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  // The worker's console output (pdf.js warnings) never reaches stdout, which belongs to the protocol.
  worker.stdout.resume();
  worker.stderr.resume();
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ToolError(`Reading the document took longer than ${Math.round(timeoutMs / 100) / 10} s: stopped`, {
              code: 'timeout',
              hint: 'Ask for fewer pages, one sheet or a row range.',
            }),
          ),
        timeoutMs,
      );
      onAbort = () => reject(opts.signal?.reason ?? new ToolError('Cancelled', { code: 'cancelled' }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', resolve);
      worker.once('error', (e: Error & { code?: string }) =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ToolError(`Reading the document needed more than ${limits.memoryMb} MB: stopped`, { code: 'too_large', hint: 'Ask for fewer pages, one sheet or a row range.' })
            : new ToolError(`The document could not be read: ${e.message}`, { code: 'failed' }),
        ),
      );
      worker.once('exit', (code) => reject(new ToolError(`The document reader stopped (exit ${code})`, { code: 'failed' })));
      worker.postMessage(req);
    });
    if (!reply.ok) {
      const code = CODES.has(reply.error.code as ToolErrorCode) ? (reply.error.code as ToolErrorCode) : 'failed';
      throw new ToolError(reply.error.message, {
        code,
        ...(reply.error.hint ? { hint: reply.error.hint } : {}),
        ...(reply.error.unsupported ? { details: { unsupportedFormat: true } } : {}),
      });
    }
    const r = reply.result;
    return {
      type: r.type,
      mediaType: mediaTypeOf(r.type),
      text: r.text,
      offset: from,
      truncated: r.truncated,
      ...(r.truncated && r.next !== undefined ? { nextCursor: encodeCursor({ o: r.next, k: key }) } : {}),
      ...(r.pages === undefined ? {} : { pages: r.pages }),
      ...(r.sheets ? { sheets: r.sheets } : {}),
      capped: r.capped,
      dropped: r.dropped,
      invisibleRemoved: r.invisibleRemoved,
    };
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  }
}

export { type DocumentArgs, documentArgs, documentOptions, documentOutput, documentText, parseRange } from './tool.js';
