// The Drive query language (files.list `q`), checked before it is sent: terms `field op value`
// (and `'value' in field`) joined by and/or, `not`, parentheses; string literals in single quotes
// with \' and \\ escapes; only the fields and operators Drive documents for files. A mistake is
// named with its position instead of Google's bare "Invalid Value".
import { ToolError } from '@bizmcp/core';

const FIELDS: Record<string, string[]> = {
  name: ['contains', '=', '!='],
  fullText: ['contains'],
  mimeType: ['contains', '=', '!='],
  modifiedTime: ['<=', '<', '=', '!=', '>', '>='],
  viewedByMeTime: ['<=', '<', '=', '!=', '>', '>='],
  createdTime: ['<=', '<', '=', '!=', '>', '>='],
  trashed: ['=', '!='],
  starred: ['=', '!='],
  sharedWithMe: ['=', '!='],
  hidden: ['=', '!='],
  visibility: ['=', '!='],
  'shortcutDetails.targetId': ['=', '!='],
};
/** Fields used as `'value' in field`. */
const IN_FIELDS = new Set(['parents', 'owners', 'writers', 'readers']);
const BOOL_FIELDS = new Set(['trashed', 'starred', 'sharedWithMe', 'hidden']);

type Tok = { t: 'str' | 'word' | 'op' | '(' | ')'; v: string; at: number };

function fail(q: string, at: number, why: string): never {
  throw new ToolError(`query is not valid Drive query language at character ${at + 1}: ${why}.`, {
    code: 'invalid_argument',
    hint: "Examples: name contains 'budget' and mimeType = 'application/vnd.google-apps.spreadsheet'; 'FOLDER_ID' in parents; modifiedTime > '2025-01-01T00:00:00'; fullText contains 'invoice'. Quote values with single quotes and escape ' as \\'.",
    details: { field: 'query', near: q.slice(at, at + 20) },
  });
}

function tokens(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      const start = i++;
      let v = '';
      for (;;) {
        if (i >= q.length) fail(q, start, 'a string is not closed');
        if (q[i] === '\\') {
          if (i + 1 >= q.length || !["'", '\\'].includes(q[i + 1])) fail(q, i, "only \\' and \\\\ are escapes");
          v += q[i + 1];
          i += 2;
        } else if (q[i] === "'") {
          i++;
          break;
        } else v += q[i++];
      }
      out.push({ t: 'str', v, at: start });
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c, at: i++ });
    } else if (/[<>=!]/.test(c)) {
      const m = /^(<=|>=|!=|=|<|>)/.exec(q.slice(i));
      if (!m) fail(q, i, `unknown operator "${c}"`);
      out.push({ t: 'op', v: m[1], at: i });
      i += m[1].length;
    } else if (/[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z][A-Za-z.]*/.exec(q.slice(i))!;
      out.push({ t: 'word', v: m[0], at: i });
      i += m[0].length;
    } else fail(q, i, `unexpected "${c}"`);
  }
  return out;
}

/** Throws invalid_argument unless `q` is a well-formed Drive query; returns it trimmed. */
export function checkDriveQuery(q: string): string {
  const t = tokens(q);
  let i = 0;
  const peek = () => t[i];
  const end = () => q.length;
  const clause = () => {
    const a = peek();
    if (!a) fail(q, end(), 'a condition is missing');
    if (a.t === 'str') {
      // 'value' in parents
      const kw = t[i + 1];
      const field = t[i + 2];
      if (kw?.t !== 'word' || kw.v !== 'in') fail(q, kw?.at ?? end(), 'after a quoted value, expected "in" and a field (parents, owners, writers, readers)');
      if (field?.t !== 'word' || !IN_FIELDS.has(field.v)) fail(q, field?.at ?? end(), `"in" takes one of ${[...IN_FIELDS].join(', ')}`);
      i += 3;
      return;
    }
    if (a.t !== 'word' || !FIELDS[a.v]) fail(q, a.at, `"${a.v}" is not a field Drive can search (${Object.keys(FIELDS).join(', ')}, or 'value' in parents)`);
    const op = t[i + 1];
    const val = t[i + 2];
    const opv = op?.t === 'op' || (op?.t === 'word' && op.v === 'contains') ? op.v : undefined;
    if (!opv || !FIELDS[a.v].includes(opv)) fail(q, op?.at ?? end(), `${a.v} takes ${FIELDS[a.v].join(' ')}`);
    if (BOOL_FIELDS.has(a.v)) {
      if (val?.t !== 'word' || !['true', 'false'].includes(val.v)) fail(q, val?.at ?? end(), `${a.v} compares with true or false`);
    } else if (val?.t !== 'str') fail(q, val?.at ?? end(), `${a.v} compares with a quoted value`);
    i += 3;
  };
  const term = (depth: number) => {
    if (peek()?.t === 'word' && peek().v === 'not') i++;
    if (peek()?.t === '(') {
      if (depth > 20) fail(q, peek().at, 'too deeply nested');
      i++;
      expr(depth + 1);
      if (peek()?.t !== ')') fail(q, peek()?.at ?? end(), 'a parenthesis is not closed');
      i++;
    } else clause();
  };
  const expr = (depth: number) => {
    term(depth);
    while (peek()?.t === 'word' && (peek().v === 'and' || peek().v === 'or')) {
      i++;
      term(depth);
    }
  };
  if (!t.length) fail(q, 0, 'the query is empty');
  expr(0);
  if (i < t.length) fail(q, t[i].at, `unexpected "${t[i].v}"`);
  return q.trim();
}

/** Whether the query already says something about trashed files. */
export const mentionsTrashed = (q: string) => /\btrashed\b/.test(q.replace(/'(?:[^'\\]|\\.)*'/g, "''"));
