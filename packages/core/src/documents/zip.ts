// ZIP containers (Office Open XML, OpenDocument) read with caps checked while inflating: the bytes
// each entry really inflates to are counted chunk by chunk (the sizes a ZIP declares can lie), and
// reading stops at the cap. A 10 KB file that would inflate to gigabytes costs a few milliseconds.
import { Unzip, UnzipInflate, UnzipPassThrough, type UnzipFile } from 'fflate';
import { DocError } from './collect.js';

export interface ZipEntries {
  names: string[];
  /** Inflated entries that were asked for. */
  files: Map<string, Uint8Array>;
  /** Bytes inflated, all entries counted (asked for or only measured). */
  inflated: number;
}

const bomb = (cap: number) =>
  new DocError(
    `The document inflates to more than ${Math.round(cap / 1e6)} MB: refused (a compression bomb or a document too large to read)`,
    'too_large',
    'Nothing can be read from it here; open it in an office application if it is genuine.',
  );

/**
 * Reads a ZIP: entries for which `keep(name)` is true are inflated and returned; entries for which
 * `measure(name)` is true are inflated only to count their size (and shown to `onChunk`).
 * Everything inflated counts against `cap`.
 */
export function readZip(
  bytes: Uint8Array,
  cap: number,
  keep: (name: string) => boolean,
  measure: (name: string) => boolean = () => false,
  onChunk?: (name: string, chunk: Uint8Array) => void,
): ZipEntries {
  const names: string[] = [];
  const files = new Map<string, Uint8Array>();
  let inflated = 0;
  let failure: Error | undefined;
  const unzip = new Unzip((file: UnzipFile) => {
    names.push(file.name);
    const wanted = keep(file.name);
    if (!wanted && !measure(file.name)) return;
    const chunks: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = new DocError(`The document is damaged: ${err.message}`);
        return;
      }
      inflated += chunk.length;
      if (inflated > cap) {
        failure = bomb(cap);
        file.terminate();
        return;
      }
      onChunk?.(file.name, chunk);
      if (wanted) chunks.push(chunk);
      if (final && wanted) files.set(file.name, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  // Small input steps: one step of a maximally compressed stream inflates to about 16 MB at most,
  // so the cap is checked before much more than it is ever held.
  const step = 16 << 10;
  try {
    for (let i = 0; i < bytes.length && !failure; i += step) unzip.push(bytes.subarray(i, Math.min(bytes.length, i + step)), i + step >= bytes.length);
  } catch (e) {
    if (!failure) failure = new DocError(`The document is damaged: ${(e as Error).message}`);
  }
  if (failure) throw failure;
  return { names, files, inflated };
}

export const utf8 = (b: Uint8Array | undefined): string => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8') : '');
