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

const two = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * `new Date(ms).toISOString()` for a time in milliseconds since the epoch, computed in JavaScript:
 * a quarter of the cost of V8's own formatter, which goes through C++ and printf (three of them were
 * a twentieth of a `get_file_info` call). Years before 1970 or after 9999, and anything not a finite
 * number, go to `toISOString` (and a value out of a Date's range throws as it does there).
 */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  let rest = t - days * 86_400_000;
  // the civil date of a day number (days since 1970-01-01), in 400-year eras starting in March
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const min = Math.floor(rest / 60_000);
  rest -= min * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  return `${year}-${two(month)}-${two(day)}T${two(h)}:${two(min)}:${two(s)}.${milli < 100 ? (milli < 10 ? '00' : '0') : ''}${milli}Z`;
}
