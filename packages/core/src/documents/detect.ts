// Type detection by content: magic bytes first, then the container's own manifest (the main part
// named in an Office package, the mimetype entry of an OpenDocument package). A file name or media
// type given by the caller only tells CSV from plain text, never a format the bytes do not show.
import type { DocumentType } from './types.js';

export type Sniffed = 'pdf' | 'zip' | 'cfb' | 'rtf' | 'text' | 'binary';

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);

/** What the first bytes say (no parsing). */
export function sniff(bytes: Uint8Array): Sniffed {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return 'pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'cfb';
  if (head.startsWith('{\\rtf')) return 'rtf';
  return looksLikeText(bytes) ? 'text' : 'binary';
}

/** UTF-8 (or UTF-16 with a BOM) without NUL bytes in the first 64 KB. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  const n = Math.min(bytes.length, 65_536);
  if (bytes.subarray(0, n).includes(0)) return false;
  try {
    // A multi-byte character cut at the 64 KB edge is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: n < bytes.length });
    return true;
  } catch {
    return false;
  }
}

/** The OOXML/ODF type of a ZIP package from its entry names and, for ODF, its mimetype entry. */
export function packageType(names: string[], mimetype: string): DocumentType | undefined {
  const odf: Record<string, DocumentType> = {
    'application/vnd.oasis.opendocument.text': 'odt',
    'application/vnd.oasis.opendocument.spreadsheet': 'ods',
    'application/vnd.oasis.opendocument.presentation': 'odp',
  };
  if (odf[mimetype.trim()]) return odf[mimetype.trim()];
  const has = new Set(names);
  if (!has.has('[Content_Types].xml')) return undefined;
  if (has.has('word/document.xml')) return 'docx';
  if (has.has('xl/workbook.xml')) return 'xlsx';
  if (has.has('ppt/presentation.xml')) return 'pptx';
  return undefined;
}

/** Whether a compound file (the container of legacy .doc/.xls/.ppt and of encrypted Office files) is an encrypted package. */
export function isEncryptedCfb(bytes: Uint8Array): boolean {
  const name = Buffer.from('EncryptedPackage', 'utf16le');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(name);
}

const MEDIA: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  csv: 'text/csv',
  text: 'text/plain',
};

/** The media type of a detected document type. */
export const mediaTypeOf = (t: DocumentType): string => MEDIA[t];

/** Media types (and file name endings) of the formats `extractDocument` reads, for servers deciding whether a download is a document. */
export function isDocumentMediaType(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return Object.values(MEDIA).includes(t) && t !== 'text/plain' && t !== 'text/csv';
}
