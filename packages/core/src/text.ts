// Text helpers shared by servers that hand outside text to a model, and paging helpers for bounded
// output.
import { ToolError } from './errors.js';

// Invisible characters and hidden HTML: see untrusted.ts (stripInvisible, countInvisible, removeHidden).

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
