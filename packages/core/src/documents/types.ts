// Types shared by the main-thread side of `documents` and its worker (type-only on the worker side).

/** The formats `extractDocument` reads, detected from the bytes. */
export type DocumentType = 'pdf' | 'docx' | 'xlsx' | 'pptx' | 'odt' | 'ods' | 'odp' | 'csv' | 'text';

/** Caps on one extraction; every one is checked while reading, never after. */
export interface DocumentLimits {
  /** Size of the document itself. */
  maxBytes: number;
  /** Bytes inflated from a ZIP container (Office, OpenDocument), counted as they are inflated. */
  maxInflatedBytes: number;
  /** PDF pages or presentation slides read. */
  maxPages: number;
  /** Sheets of a workbook read. */
  maxSheets: number;
  /** Non-empty cells read, all sheets together. */
  maxCells: number;
  /** Rows scanned (empty ones included), all sheets together. */
  maxRows: number;
  /** Heap of the extraction worker, in MB; the worker is ended when it needs more. */
  memoryMb: number;
}

export interface Range {
  from: number;
  to?: number;
}

/** What the worker is asked to do. */
export interface WorkerRequest {
  bytes: Uint8Array;
  /** A media type or file name given by the caller: used only to tell CSV from plain text. */
  hint?: string;
  /** First character (of the cleaned text) to return, and how many. */
  from: number;
  want: number;
  pages?: Range;
  sheet?: string | number;
  rows?: Range;
  includeHidden: boolean;
  limits: DocumentLimits;
}

export interface SheetInfo {
  name: string;
  hidden: boolean;
  /** Whether its rows were read in this call. */
  read: boolean;
}

export interface WorkerResult {
  type: DocumentType;
  text: string;
  /** More text exists after this window. */
  truncated: boolean;
  /** Where the next window starts, when truncated. */
  next?: number;
  /** Pages (PDF) or slides (presentation) in the whole document. */
  pages?: number;
  sheets?: SheetInfo[];
  /** Caps reached while reading: the text stops there. */
  capped: string[];
  /** Hidden content left out (hidden sheets, slides, Word runs) and how much. */
  dropped: Record<string, number>;
  /** Invisible characters removed by the untrusted-text layer. */
  invisibleRemoved: number;
}

export type WorkerReply = { ok: true; result: WorkerResult } | { ok: false; error: { message: string; code: string; hint?: string; unsupported?: boolean } };
