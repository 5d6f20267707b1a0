// SOQL: literal escaping for the queries the tools build, and a parser of the read-only subset that
// soql_query accepts. A query from a caller is parsed into a tree and rendered again from it, so
// only what the grammar knows reaches Salesforce: one SELECT, no DML, no `;`, a LIMIT within bounds.
import { ToolError } from '@bizmcp/core';

// ---------------------------------------------------------------------------------- building

/** A SOQL string literal: backslash, quotes and control characters escaped (the REST guide's list). */
export function soqlString(v: string): string {
  const body = v.replace(/[\\'"\n\r\t\b\f]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' })[c] as string);
  return `'${body}'`;
}

/** A LIKE pattern matching `v` literally somewhere (`%` and `_` escaped), as a literal. */
export function soqlLikeContains(v: string, where: 'contains' | 'starts_with' = 'contains'): string {
  const lit = soqlString(v)
    .slice(1, -1)
    .replace(/[%_]/g, (c) => `\\${c}`);
  return where === 'contains' ? `'%${lit}%'` : `'${lit}%'`;
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79}){0,4}$/;

/** A field or object name, refused unless it is a plain identifier (names are never escaped). */
export function soqlName(name: string, what = 'field'): string {
  if (!IDENT.test(name))
    throw new ToolError(`"${name.slice(0, 80)}" is not a valid Salesforce ${what} name`, {
      code: 'invalid_argument',
      hint: 'Use the API name (letters, digits and underscores, e.g. Email or Region__c); describe_object lists them.',
    });
  return name;
}

/** A value as a SOQL literal: strings quoted, numbers and booleans bare, dates (YYYY-MM-DD, ISO times) bare. */
export function soqlValue(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ToolError('Numbers must be finite', { code: 'invalid_argument' });
    return String(v);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(v)) return v;
  return soqlString(v);
}

// ----------------------------------------------------------------------------------- parsing

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'punct'; v: string; pos: number };

export type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'bool'; value: boolean } | { kind: 'null' } | { kind: 'date'; value: string };

export type Cond =
  | { kind: 'and' | 'or'; left: Cond; right: Cond }
  | { kind: 'not'; expr: Cond }
  | { kind: 'cmp'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE'; value: Literal }
  | { kind: 'in'; field: string; negated: boolean; values: Literal[] };

export interface SelectQuery {
  /** Field names, or the single `COUNT()`. */
  fields: string[];
  count: boolean;
  from: string;
  where?: Cond;
  orderBy: { field: string; dir: 'ASC' | 'DESC'; nulls?: 'FIRST' | 'LAST' }[];
  limit?: number;
  offset?: number;
}

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ORDER', 'BY', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'LIMIT', 'OFFSET', 'NULL', 'TRUE', 'FALSE']);

const bad = (message: string, hint?: string) =>
  new ToolError(`Not an accepted SOQL query: ${message}`, {
    code: 'invalid_argument',
    hint: hint ?? 'Write one SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]; functions, subqueries, GROUP BY, FOR UPDATE and DML are not accepted here.',
  });

const UNESCAPE: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\', '%': '\\%', _: '\\_' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let v = '';
      const start = i++;
      for (;;) {
        if (i >= src.length) throw bad(`unterminated string at ${start}`);
        const d = src[i];
        if (d === '\\') {
          const e = src[i + 1];
          if (e === undefined || !(e in UNESCAPE)) throw bad(`invalid escape \\${e ?? ''} in a string at ${i}`);
          v += UNESCAPE[e];
          i += 2;
          continue;
        }
        if (d === "'") {
          i++;
          break;
        }
        v += d;
        i++;
      }
      out.push({ t: 'str', v, pos: start });
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2}))?/.exec(src.slice(i));
    if (date && !/[\w.]/.test(src[i + date[0].length] ?? '')) {
      out.push({ t: 'str', v: `\u0000date:${date[0]}`, pos: i });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0], pos: i });
      i += op[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c, pos: i++ });
      continue;
    }
    throw bad(c === ';' ? 'only one statement is accepted (found ";")' : `unexpected character "${c}" at ${i}`);
  }
  return out;
}

/** Parses one SOQL SELECT of the accepted subset; anything else is an invalid_argument ToolError. */
export function parseSoql(src: string): SelectQuery {
  if (src.length > 20_000) throw bad('the query is longer than 20 000 characters');
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const kw = (word: string) => {
    const t = toks[p];
    return t?.t === 'id' && t.v.toUpperCase() === word;
  };
  const eat = (word: string) => {
    if (!kw(word)) {
      const t = toks[p];
      throw bad(`expected ${word}${t ? ` at ${t.pos}, found "${t.v.slice(0, 40)}"` : ' at the end'}`);
    }
    p++;
  };
  const name = (what: string) => {
    const t = toks[p];
    if (t?.t !== 'id' || KEYWORDS.has(t.v.toUpperCase())) throw bad(`expected a ${what} name${t ? ` at ${t.pos}` : ' at the end'}`);
    p++;
    return t.v;
  };
  const punct = (v: string) => {
    if (toks[p]?.t === 'punct' && toks[p].v === v) {
      p++;
      return true;
    }
    return false;
  };
  const int = (what: string) => {
    const t = toks[p];
    if (t?.t !== 'num' || !/^\d+$/.test(t.v)) throw bad(`${what} takes a whole number`);
    p++;
    return Number(t.v);
  };

  const first = peek();
  if (first?.t !== 'id' || first.v.toUpperCase() !== 'SELECT') {
    const word = first?.v.toUpperCase();
    if (word && ['INSERT', 'UPDATE', 'DELETE', 'UPSERT', 'MERGE', 'UNDELETE'].includes(word)) throw bad(`${word} is a data change; only SELECT queries are accepted`);
    throw bad('a query starts with SELECT');
  }
  p++;
  const fields: string[] = [];
  let count = false;
  if (kw('COUNT') && toks[p + 1]?.v === '(' && toks[p + 2]?.v === ')') {
    count = true;
    p += 3;
  } else {
    do {
      if (toks[p]?.v === '(') throw bad('subqueries are not accepted');
      fields.push(name('field'));
      if (toks[p]?.v === '(') throw bad('functions are not accepted in the field list');
    } while (punct(','));
  }
  eat('FROM');
  const from = name('object');
  if (from.includes('.')) throw bad('the object name has no dots');
  let where: Cond | undefined;
  if (kw('WHERE')) {
    p++;
    where = orExpr();
  }
  const orderBy: SelectQuery['orderBy'] = [];
  if (kw('ORDER')) {
    p++;
    eat('BY');
    do {
      const field = name('field');
      let dir: 'ASC' | 'DESC' = 'ASC';
      if (kw('ASC') || kw('DESC')) dir = toks[p++].v.toUpperCase() as 'ASC' | 'DESC';
      let nulls: 'FIRST' | 'LAST' | undefined;
      if (kw('NULLS')) {
        p++;
        if (!kw('FIRST') && !kw('LAST')) throw bad('NULLS takes FIRST or LAST');
        nulls = toks[p++].v.toUpperCase() as 'FIRST' | 'LAST';
      }
      orderBy.push({ field, dir, ...(nulls ? { nulls } : {}) });
    } while (punct(','));
  }
  let limit: number | undefined;
  let offset: number | undefined;
  if (kw('LIMIT')) {
    p++;
    limit = int('LIMIT');
  }
  if (kw('OFFSET')) {
    p++;
    offset = int('OFFSET');
  }
  if (p < toks.length) throw bad(`unexpected "${toks[p].v.slice(0, 40)}" at ${toks[p].pos}`);
  return { fields, count, from, where, orderBy, limit, offset };

  function orExpr(): Cond {
    let left = andExpr();
    while (kw('OR')) {
      p++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  }
  function andExpr(): Cond {
    let left = unary();
    while (kw('AND')) {
      p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  }
  function unary(): Cond {
    if (kw('NOT')) {
      p++;
      return { kind: 'not', expr: unary() };
    }
    if (punct('(')) {
      if (kw('SELECT')) throw bad('subqueries are not accepted');
      const e = orExpr();
      if (!punct(')')) throw bad('a parenthesis is not closed');
      return e;
    }
    const field = name('field');
    if (kw('NOT') && toks[p + 1]?.t === 'id' && toks[p + 1].v.toUpperCase() === 'IN') {
      p += 2;
      return { kind: 'in', field, negated: true, values: list() };
    }
    if (kw('IN')) {
      p++;
      return { kind: 'in', field, negated: false, values: list() };
    }
    let op: Extract<Cond, { kind: 'cmp' }>['op'];
    if (kw('LIKE')) {
      p++;
      op = 'LIKE';
    } else if (toks[p]?.t === 'op') op = toks[p++].v as typeof op;
    else throw bad(`expected an operator after ${field}`);
    return { kind: 'cmp', field, op, value: literal() };
  }
  function list(): Literal[] {
    if (!punct('(')) throw bad('IN takes a parenthesised list');
    if (kw('SELECT')) throw bad('subqueries are not accepted');
    const values: Literal[] = [];
    do values.push(literal());
    while (punct(','));
    if (!punct(')')) throw bad('the IN list is not closed');
    return values;
  }
  function literal(): Literal {
    const t = toks[p++];
    if (!t) throw bad('a value is missing at the end');
    if (t.t === 'str') return t.v.startsWith('\u0000date:') ? { kind: 'date', value: t.v.slice(6) } : { kind: 'string', value: t.v };
    if (t.t === 'num') return { kind: 'number', value: Number(t.v) };
    if (t.t === 'id') {
      const u = t.v.toUpperCase();
      if (u === 'NULL') return { kind: 'null' };
      if (u === 'TRUE' || u === 'FALSE') return { kind: 'bool', value: u === 'TRUE' };
      if (/^(TODAY|YESTERDAY|TOMORROW|(LAST|THIS|NEXT)_(WEEK|MONTH|QUARTER|YEAR))$/.test(u)) return { kind: 'date', value: u };
    }
    throw bad(`expected a value at ${t.pos}, found "${t.v.slice(0, 40)}"`);
  }
}

// --------------------------------------------------------------------------------- rendering

function renderLiteral(l: Literal): string {
  switch (l.kind) {
    case 'string':
      // LIKE escapes (\% \_) were kept as two characters by the tokenizer: put them back as they came.
      return `'${l.value.replace(/\\(?![%_])|['"\n\r\t\b\f]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' })[c] as string)}'`;
    case 'number':
      return String(l.value);
    case 'bool':
      return l.value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'date':
      return l.value;
  }
}

function renderCond(c: Cond): string {
  switch (c.kind) {
    case 'and':
    case 'or':
      return `(${renderCond(c.left)} ${c.kind.toUpperCase()} ${renderCond(c.right)})`;
    case 'not':
      return `(NOT ${renderCond(c.expr)})`;
    case 'cmp':
      return `${c.field} ${c.op} ${renderLiteral(c.value)}`;
    case 'in':
      return `${c.field} ${c.negated ? 'NOT IN' : 'IN'} (${c.values.map(renderLiteral).join(', ')})`;
  }
}

/** The query text of a parsed query (what is sent to Salesforce). */
export function renderSoql(q: SelectQuery): string {
  let s = `SELECT ${q.count ? 'COUNT()' : q.fields.join(', ')} FROM ${q.from}`;
  if (q.where) s += ` WHERE ${renderCond(q.where)}`;
  if (q.orderBy.length) s += ` ORDER BY ${q.orderBy.map((o) => `${o.field} ${o.dir}${o.nulls ? ` NULLS ${o.nulls}` : ''}`).join(', ')}`;
  if (q.limit !== undefined) s += ` LIMIT ${q.limit}`;
  if (q.offset !== undefined) s += ` OFFSET ${q.offset}`;
  return s;
}
