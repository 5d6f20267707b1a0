// Text helpers shared by servers that hand outside text to a model, and paging helpers for bounded
// output.
import { ToolError } from './errors.js';

// Characters that render as nothing but can carry hidden instructions: Unicode tag characters
// (U+E0000–U+E007F), zero-width characters, bidi embedding/override/isolate controls, the word
// joiner family, soft hyphen, Mongolian vowel separator, variation selectors and BOMs in the middle
// of text. Ordinary whitespace and ZWJ inside emoji sequences are kept.
const INVISIBLE = /[\u{E0000}-\u{E007F}\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u00AD\u180E\uFEFF\uFE00-\uFE0F\u{E0100}-\u{E01EF}]|\u200D(?!\p{Extended_Pictographic})/gu;

/** Removes invisible characters used to hide prompt injections; returns the text and how many were removed. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

export function countInvisible(text: string): number {
  return (text.match(INVISIBLE) ?? []).length;
}

export interface TextPage {
  text: string;
  /** Total length in characters (UTF-16 code units) of the whole text. */
  totalLength: number;
  startIndex: number;
  truncated: boolean;
  /** Where the next page starts, when truncated. */
  nextStartIndex?: number;
}

/** Cuts `text` to the window [start, start + max), never splitting a surrogate pair. */
export function pageText(text: string, start = 0, max = 50_000): TextPage {
  if (start > text.length) throw new ToolError(`start_index ${start} is past the end (${text.length} characters)`, { code: 'invalid_argument' });
  let end = Math.min(text.length, start + max);
  if (end < text.length && end > start && /[\uD800-\uDBFF]/.test(text[end - 1])) end--;
  const truncated = end < text.length;
  return { text: text.slice(start, end), totalLength: text.length, startIndex: start, truncated, ...(truncated ? { nextStartIndex: end } : {}) };
}

