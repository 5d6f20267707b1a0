// Domain logic the filesystem tools share: bounded text reads (head, tail from the end, line
// windows), binary sniffing, media types, whitespace-tolerant edits, and glob matching.
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '@bizmcp/core';

const CHUNK = 64 * 1024;

export interface TextWindow {
  text: string;
  /** Lines returned. */
  lines: number;
  /** First line returned (1-based), when known. */
  startLine?: number;
  truncated: boolean;
  /** Set when more lines follow: pass it as `offset` to continue. */
  nextOffset?: number;
}

/** True when the buffer looks binary (a NUL byte in the sample). */
export function looksBinary(sample: Uint8Array): boolean {
  return sample.subarray(0, 8000).includes(0);
}

/** The last `n` lines, read backwards from the end in chunks: constant time in the file size. */
export async function tailLines(h: FileHandle, size: number, n: number, maxChars: number): Promise<TextWindow> {
  if (n <= 0 || size === 0) return { text: '', lines: 0, truncated: false };
  const chunks: Buffer[] = [];
  let pos = size;
  let newlines = 0;
  let collected = 0;
  // A trailing newline ends the last line; it does not start a new one.
  const last = Buffer.alloc(1);
  await h.read(last, 0, 1, size - 1);
  const skipTrailing = last[0] === 10 ? 1 : 0;
  while (pos > 0 && newlines <= n - 1 + skipTrailing && collected < maxChars * 4 + CHUNK) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    await h.read(buf, 0, len, pos);
    chunks.unshift(buf);
    collected += len;
    for (let i = 0; i < len; i++) if (buf[i] === 10) newlines++;
  }
  let text = Buffer.concat(chunks).toString('utf8');
  if (skipTrailing) text = text.slice(0, -1);
  const all = text.split('\n');
  const lines = all.slice(Math.max(0, all.length - n));
  let out = lines.join('\n').replace(/\r(?=\n|$)/g, '');
  let truncated = false;
  if (out.length > maxChars) {
    out = out.slice(out.length - maxChars);
    truncated = true;
  }
  return { text: out, lines: lines.length, truncated };
}

/** Lines [offset, offset + limit) read forward, stopping as soon as the window is full. */
export async function lineWindow(h: FileHandle, offset: number, limit: number, maxChars: number): Promise<TextWindow> {
  const out: string[] = [];
  let lineNo = 0;
  let carry = '';
  let chars = 0;
  let pos = 0;
  let truncated = false;
  let more = false;
  const buf = Buffer.alloc(CHUNK);
  const decoder = new TextDecoder('utf-8');
  outer: for (;;) {
    const { bytesRead } = await h.read(buf, 0, CHUNK, pos);
    const eof = bytesRead === 0;
    pos += bytesRead;
    const piece = carry + (eof ? decoder.decode() : decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
    const parts = piece.split('\n');
    carry = eof ? '' : parts.pop()!;
    if (eof && parts.length && parts[parts.length - 1] === '') parts.pop(); // trailing newline
    for (const raw of parts) {
      if (lineNo >= offset) {
        if (out.length >= limit) {
          more = true;
          break outer;
        }
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (chars + line.length + 1 > maxChars) {
          truncated = true;
          more = true;
          break outer;
        }
        out.push(line);
        chars += line.length + 1;
      }
      lineNo++;
    }
    if (eof) break;
  }
  const nextOffset = more ? offset + out.length : undefined;
  return { text: out.join('\n'), lines: out.length, startLine: offset + 1, truncated: truncated || more, ...(nextOffset !== undefined ? { nextOffset } : {}) };
}

const MEDIA: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.flac': 'audio/flac',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.opus': 'audio/opus',
  '.weba': 'audio/webm',
};

/** MIME type from magic bytes first, the extension second. */
export function mediaType(file: string, head: Uint8Array): string | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WAVE') return 'audio/wav';
  if (b.subarray(0, 4).toString('latin1') === 'fLaC') return 'audio/flac';
  if (b.subarray(0, 4).toString('latin1') === 'OggS') return 'audio/ogg';
  if (b.subarray(0, 3).toString('latin1') === 'ID3' || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return 'audio/mpeg';
  return MEDIA[path.extname(file).toLowerCase()];
}

// ---- edits ----

export interface Edit {
  oldText: string;
  newText: string;
}

/**
 * Applies every edit to `original` or throws without changing anything. Each `oldText` must match
 * exactly once: first literally (after normalising line endings), then line by line ignoring
 * leading/trailing whitespace; the replacement keeps the matched block's indentation and the
 * file's line endings.
 */
export function applyEdits(original: string, edits: Edit[]): string {
  const crlf = original.includes('\r\n');
  let text = original.replace(/\r\n/g, '\n');
  edits.forEach((e, i) => {
    const oldText = e.oldText.replace(/\r\n/g, '\n');
    const newText = e.newText.replace(/\r\n/g, '\n');
    if (oldText === '') throw new ToolError(`edits.${i}.oldText is empty`, { code: 'invalid_argument' });
    const first = text.indexOf(oldText);
    if (first !== -1) {
      if (text.indexOf(oldText, first + 1) !== -1) throw notUnique(i);
      text = text.slice(0, first) + newText + text.slice(first + oldText.length);
      return;
    }
    // whitespace-tolerant, line-based match
    const lines = text.split('\n');
    const want = oldText.split('\n').map((l) => l.trim());
    while (want.length > 1 && want[want.length - 1] === '') want.pop();
    const hits: number[] = [];
    for (let at = 0; at + want.length <= lines.length; at++) {
      let ok = true;
      for (let k = 0; k < want.length && ok; k++) ok = lines[at + k].trim() === want[k];
      if (ok) hits.push(at);
    }
    if (hits.length === 0)
      throw new ToolError(`edits.${i}.oldText was not found in the file`, { code: 'invalid_argument', hint: 'Copy the exact text from a fresh read of the file; nothing was written.' });
    if (hits.length > 1) throw notUnique(i);
    const at = hits[0];
    const indent = /^\s*/.exec(lines[at])![0];
    const newIndent = /^\s*/.exec(newText.split('\n')[0])![0];
    const replaced = newText.split('\n').map((l) => (l.startsWith(newIndent) ? indent + l.slice(newIndent.length) : l));
    lines.splice(at, want.length, ...replaced);
    text = lines.join('\n');
  });
  return crlf ? text.replace(/\n/g, '\r\n') : text;
}

function notUnique(i: number): ToolError {
  return new ToolError(`edits.${i}.oldText matches more than once`, { code: 'invalid_argument', hint: 'Include more surrounding lines so it matches exactly once; nothing was written.' });
}

// ---- globs ----

/**
 * A matcher for glob patterns. A pattern without "/" matches a name at any depth (like
 * `find -name`); one with "/" matches the path relative to the search root.
 */
export async function globMatcher(patterns: string[], opts: { nocase?: boolean } = {}): Promise<(rel: string) => boolean> {
  if (!patterns.length) return () => false;
  // loaded on first use: most sessions never search
  const picomatch = (await import('picomatch')).default;
  const matchers = patterns.map((p) => {
    const m = picomatch(p, { dot: true, nocase: opts.nocase });
    return p.includes('/') ? (rel: string) => m(rel) : (rel: string) => m(rel.slice(rel.lastIndexOf('/') + 1));
  });
  return (rel) => matchers.some((m) => m(rel));
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`;
}
