// A stateful local Google for the tests: one core fake API per discovery document in
// core's test/fixtures/google/ (every request checked against it: method, path, required parameters,
// body schema, unknown fields), behind one root URL as GOOGLE_API_ROOT_URL gives it, plus core's
// fake OAuth server (refresh grant and service-account JWT grant, expiring tokens). Every handler
// checks the bearer token with the fake OAuth server (401 when expired or revoked, 403 when the
// token lacks the scope) and records who called (subject, scopes) for the oracles.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type FakeApi, type FakeHandler, type FakeOAuth, type FakeResponse, startFakeApi, startFakeOAuth } from '@bizmcp/core/testing';
import { parseA1, windowA1 } from '../src/a1.js';
import { TOOLSET_SCOPES } from '../src/config.js';

type Obj = Record<string, any>;
// the discovery documents live once, with core's other contracts
export const SPECS = join(import.meta.dirname, '..', '..', 'core', 'test', 'fixtures', 'google');
const APIS = { sheets: 'sheets__v4.json', docs: 'docs__v1.json', drive: 'drive__v3.json', calendar: 'calendar__v3.json', gmail: 'gmail__v1.json' } as const;
type Api = keyof typeof APIS;

export const CLIENT = { clientId: 'test-client.apps.googleusercontent.com', clientSecret: 'test-secret' };
export const SA_EMAIL = 'bot@proj.iam.gserviceaccount.com';
export const DELEGATED = 'ana@example.com';

export interface CallRecord {
  operation: string;
  subject?: string;
  clientId?: string;
  status: number;
}

export interface FakeGoogle {
  url: string;
  oauth: FakeOAuth;
  apis: Record<Api, FakeApi>;
  /** Service-account key JSON (its client may act as DELEGATED only). */
  saKey: Obj;
  calls: CallRecord[];
  /** Operations that reached a handler (write or not). */
  ops(): string[];
  spreadsheets: Map<string, Obj>;
  documents: Map<string, Obj>;
  files: Map<string, Obj>;
  events: Map<string, Obj>;
  mail: Map<string, Obj>;
  /** Answer the next `count` calls of `operation` with this response. */
  failNext(operation: string, count: number, res: FakeResponse | (() => Promise<FakeResponse>)): void;
  /** The next `count` resumable chunks are stored but answered 503 (the client cannot know they arrived). */
  failChunks(count: number): void;
  assertNoViolations(): void;
  reset(): void;
  close(): Promise<void>;
}

const gerr = (status: number, message: string, reason: string, extra: Obj = {}): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...(extra.headers ?? {}) },
  body: { error: { code: status, message, status: extra.status ?? 'FAILED_PRECONDITION', errors: [{ reason, domain: 'global', message }] } },
});

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const oauth = await startFakeOAuth({
    clients: [CLIENT],
    jwtIssuers: [{ issuer: SA_EMAIL, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string, subjects: [DELEGATED] }],
  });
  const calls: CallRecord[] = [];
  const failures = new Map<string, { count: number; res: FakeResponse | (() => Promise<FakeResponse>) }>();
  const spreadsheets = new Map<string, Obj>();
  const documents = new Map<string, Obj>();
  const files = new Map<string, Obj>();
  const events = new Map<string, Obj>();
  let seq = 0;
  const newId = (p: string) => `${p}${(++seq).toString(36)}x${Math.random().toString(36).slice(2, 10)}`;

  /** Wraps a handler with the bearer check, the scope check, injected failures and the record. */
  const authed =
    (api: Api, write: boolean, h: FakeHandler): FakeHandler =>
    async (req, res) => {
      const rec: CallRecord = { operation: req.operation, status: 0 };
      calls.push(rec);
      const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
      const token = m?.[1];
      const info = token ? oauth.tokenInfo(token) : undefined;
      rec.subject = info?.subject;
      rec.clientId = info?.clientId;
      let out: FakeResponse;
      if (!token || !oauth.isValid(token)) out = gerr(401, 'Request had invalid authentication credentials.', 'authError', { status: 'UNAUTHENTICATED' });
      else {
        const s = TOOLSET_SCOPES[api];
        const scopes = info?.scopes ?? [];
        const ok = scopes.includes(s.write) || (!write && scopes.includes(s.read)) || (api !== 'drive' && api !== 'calendar' && api !== 'gmail' && scopes.includes(TOOLSET_SCOPES.drive.write));
        const f = failures.get(req.operation);
        if (!ok) out = gerr(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', { status: 'PERMISSION_DENIED' });
        else if (f && f.count > 0) {
          f.count--;
          out = typeof f.res === 'function' ? await f.res() : f.res;
        } else out = await h(req, res);
      }
      rec.status = out.status ?? 200;
      return out;
    };

  // ------------------------------------------------------------------------------ sheets
  const sheetOf = (ss: Obj, name?: string) => (name === undefined ? ss.sheets[0] : ss.sheets.find((s: Obj) => s.properties.title === name));
  const view = (ss: Obj) => ({
    spreadsheetId: ss.spreadsheetId,
    spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${ss.spreadsheetId}/edit`,
    properties: ss.properties,
    sheets: ss.sheets.map((s: Obj) => ({ properties: s.properties })),
    namedRanges: ss.namedRanges ?? [],
  });
  const newSheet = (title: string, index: number, id = index) => ({ properties: { sheetId: id, title, index, gridProperties: { rowCount: 1000, columnCount: 26 } }, rows: [] as unknown[][] });
  const target = (req: Parameters<FakeHandler>[0]) => {
    const ss = spreadsheets.get(req.params.spreadsheetId);
    if (!ss) return { err: gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' }) };
    const a = parseA1(req.params.range);
    const sheet = sheetOf(ss, a.sheet ?? a.nameOnly);
    if (!sheet) return { err: gerr(400, `Unable to parse range: ${req.params.range}`, 'badRequest', { status: 'INVALID_ARGUMENT' }) };
    return { ss, a, sheet };
  };
  const trim = (rows: unknown[][]) => {
    const out = rows.map((r) => {
      const c = [...r];
      while (c.length && (c[c.length - 1] === '' || c[c.length - 1] === undefined || c[c.length - 1] === null)) c.pop();
      return c.map((v) => (v === undefined || v === null ? '' : v));
    });
    while (out.length && out[out.length - 1].length === 0) out.pop();
    return out;
  };
  const sheets: Record<string, FakeHandler> = {
    'sheets.spreadsheets.create': (req, res) => {
      const id = newId('ss');
      const tabs: Obj[] = req.body?.sheets?.length ? req.body.sheets.map((s: Obj, i: number) => newSheet(s.properties?.title ?? `Sheet${i + 1}`, i)) : [newSheet('Sheet1', 0)];
      const ss = { spreadsheetId: id, properties: { title: req.body?.properties?.title ?? 'Untitled', locale: 'en_US', timeZone: 'Europe/Paris' }, sheets: tabs };
      spreadsheets.set(id, ss);
      return res.json(view(ss));
    },
    'sheets.spreadsheets.get': (req, res) => {
      const ss = spreadsheets.get(req.params.spreadsheetId);
      return ss ? res.json(view(ss)) : gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
    },
    'sheets.spreadsheets.batchUpdate': (req, res) => {
      const ss = spreadsheets.get(req.params.spreadsheetId);
      if (!ss) return gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
      const replies: Obj[] = [];
      for (const r of req.body.requests ?? []) {
        if (r.addSheet) {
          const title = r.addSheet.properties?.title;
          if (ss.sheets.some((s: Obj) => s.properties.title === title))
            return gerr(400, `Invalid requests[0].addSheet: A sheet with the name "${title}" already exists.`, 'badRequest', { status: 'INVALID_ARGUMENT' });
          const s = newSheet(title, ss.sheets.length, 1000 + ss.sheets.length);
          Object.assign(s.properties.gridProperties, r.addSheet.properties?.gridProperties ?? {});
          ss.sheets.push(s);
          replies.push({ addSheet: { properties: s.properties } });
        } else return gerr(400, 'Unsupported request in this fake.', 'badRequest');
      }
      return res.json({ spreadsheetId: ss.spreadsheetId, replies });
    },
    'sheets.spreadsheets.values.get': (req, res) => {
      const t = target(req);
      if (t.err) return t.err;
      const { a, sheet } = t;
      const r0 = (a.startRow ?? 1) - 1;
      const r1 = a.endRow ?? sheet.rows.length;
      const c0 = (a.startCol ?? 1) - 1;
      const c1 = a.endCol ?? 18278;
      const rows = (sheet.rows as unknown[][]).slice(r0, r1).map((r) => r.slice(c0, c1));
      const values = trim(rows);
      return res.json({
        range: `${sheet.properties.title}!${windowA1({ startCol: a.startCol, endCol: a.endCol }, r0 + 1, r1).replace(/^.*!/, '')}`,
        majorDimension: 'ROWS',
        ...(values.length ? { values } : {}),
      });
    },
    'sheets.spreadsheets.values.update': (req, res) => {
      const t = target(req);
      if (t.err) return t.err;
      const { a, sheet } = t;
      const vals: unknown[][] = req.body.values ?? [];
      const r0 = (a.startRow ?? 1) - 1;
      const c0 = (a.startCol ?? 1) - 1;
      vals.forEach((row, i) => {
        sheet.rows[r0 + i] ??= [];
        row.forEach((v, j) => {
          sheet.rows[r0 + i][c0 + j] = v;
        });
      });
      const cols = Math.max(0, ...vals.map((r) => r.length));
      return res.json({
        spreadsheetId: req.params.spreadsheetId,
        updatedRange: `${sheet.properties.title}!${windowA1({ startCol: c0 + 1, endCol: c0 + cols }, r0 + 1, r0 + vals.length).replace(/^.*!/, '')}`,
        updatedRows: vals.length,
        updatedColumns: cols,
        updatedCells: vals.reduce((n, r) => n + r.length, 0),
      });
    },
    'sheets.spreadsheets.values.append': (req, res) => {
      const t = target(req);
      if (t.err) return t.err;
      const { a, sheet } = t;
      const vals: unknown[][] = req.body.values ?? [];
      const start = trim(sheet.rows).length;
      const c0 = (a.startCol ?? 1) - 1;
      vals.forEach((row, i) => {
        sheet.rows[start + i] = [...Array(c0).fill(''), ...row];
      });
      const cols = Math.max(0, ...vals.map((r) => r.length));
      const updatedRange = `${sheet.properties.title}!${windowA1({ startCol: c0 + 1, endCol: c0 + cols }, start + 1, start + vals.length).replace(/^.*!/, '')}`;
      return res.json({
        spreadsheetId: req.params.spreadsheetId,
        tableRange: start ? `${sheet.properties.title}!A1:${start}` : undefined,
        updates: { updatedRange, updatedRows: vals.length, updatedColumns: cols, updatedCells: vals.reduce((n, r) => n + r.length, 0) },
      });
    },
    'sheets.spreadsheets.values.clear': (req, res) => {
      const t = target(req);
      if (t.err) return t.err;
      const { a, sheet } = t;
      const r0 = (a.startRow ?? 1) - 1;
      const r1 = a.endRow ?? sheet.rows.length;
      for (let r = r0; r < r1 && r < sheet.rows.length; r++) {
        const row = sheet.rows[r] ?? [];
        for (let c = (a.startCol ?? 1) - 1; c < Math.min(row.length, a.endCol ?? row.length); c++) row[c] = '';
      }
      return res.json({ spreadsheetId: req.params.spreadsheetId, clearedRange: req.params.range });
    },
  };
  const WRITES = new Set([
    'sheets.spreadsheets.create',
    'sheets.spreadsheets.batchUpdate',
    'sheets.spreadsheets.values.update',
    'sheets.spreadsheets.values.append',
    'sheets.spreadsheets.values.clear',
  ]);

  // -------------------------------------------------------------------------------- docs
  type Block = { kind: 'p'; text: string; style?: string; bullet?: number } | { kind: 'table'; cells: string[][] };
  const build = (d: Obj) => {
    let idx = 1;
    const paras: { block: Block; cell?: [number, number]; start: number; end: number; set(t: string): void }[] = [];
    const content: Obj[] = [{ endIndex: 1, sectionBreak: {} }];
    const para = (text: string, style = 'NORMAL_TEXT', bullet?: number) => {
      const start = idx;
      idx += text.length + 1;
      return {
        startIndex: start,
        endIndex: idx,
        paragraph: {
          elements: [{ startIndex: start, endIndex: idx, textRun: { content: `${text}\n` } }],
          paragraphStyle: { namedStyleType: style },
          ...(bullet !== undefined ? { bullet: { nestingLevel: bullet } } : {}),
        },
      };
    };
    for (const b of d.blocks as Block[]) {
      if (b.kind === 'p') {
        const start = idx;
        content.push(para(b.text, b.style, b.bullet));
        paras.push({ block: b, start, end: idx, set: (t) => (b.text = t) });
      } else {
        const start = idx++;
        const rows = b.cells.map((row, i) => {
          idx++;
          return {
            tableCells: row.map((text, j) => {
              idx++;
              const s = idx;
              const p = para(text);
              paras.push({ block: b, cell: [i, j], start: s, end: idx, set: (t) => (b.cells[i][j] = t) });
              return { content: [p] };
            }),
          };
        });
        idx++;
        content.push({ startIndex: start, endIndex: idx, table: { rows: b.cells.length, columns: b.cells[0]?.length ?? 0, tableRows: rows } });
      }
    }
    return { doc: { documentId: d.documentId, title: d.title, revisionId: 'r1', body: { content } }, paras };
  };
  const docs: Record<string, FakeHandler> = {
    'docs.documents.create': (req, res) => {
      const d = { documentId: newId('doc'), title: req.body?.title ?? 'Untitled document', blocks: [{ kind: 'p', text: '' }] as Block[] };
      documents.set(d.documentId, d);
      return res.json(build(d).doc);
    },
    'docs.documents.get': (req, res) => {
      const d = documents.get(req.params.documentId);
      return d ? res.json(build(d).doc) : gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
    },
    'docs.documents.batchUpdate': (req, res) => {
      const d = documents.get(req.params.documentId);
      if (!d) return gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
      const replies: Obj[] = [];
      for (const r of req.body.requests ?? []) {
        if (r.insertText) {
          const { paras } = build(d);
          const at = r.insertText.location?.index;
          const p = paras.find((x) => at >= x.start && at < x.end);
          if (!p) return gerr(400, `Invalid requests[0].insertText: Index ${at} must be less than the end index of the referenced segment.`, 'badRequest', { status: 'INVALID_ARGUMENT' });
          const cur = p.block.kind === 'p' ? p.block.text : (p.block.cells[p.cell![0]][p.cell![1]] ?? '');
          const next = cur.slice(0, at - p.start) + r.insertText.text + cur.slice(at - p.start);
          if (p.block.kind === 'p' && next.includes('\n')) {
            const lines = next.split('\n');
            const i = d.blocks.indexOf(p.block);
            d.blocks.splice(i, 1, ...lines.map((text: string) => ({ kind: 'p' as const, text })));
          } else p.set(next);
          replies.push({});
        } else if (r.replaceAllText) {
          let n = 0;
          const find = r.replaceAllText.containsText.text;
          const re = new RegExp(find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), r.replaceAllText.containsText.matchCase === false ? 'gi' : 'g');
          for (const b of d.blocks as Block[]) {
            const rep = (t: string) => t.replace(re, () => (n++, r.replaceAllText.replaceText));
            if (b.kind === 'p') b.text = rep(b.text);
            else b.cells = b.cells.map((row: string[]) => row.map(rep));
          }
          replies.push({ replaceAllText: { occurrencesChanged: n } });
        } else if (r.insertTable) {
          d.blocks.push({ kind: 'table', cells: Array.from({ length: r.insertTable.rows }, () => Array(r.insertTable.columns).fill('')) }, { kind: 'p', text: '' });
          replies.push({});
        } else return gerr(400, 'Unsupported request in this fake.', 'badRequest');
      }
      return res.json({ documentId: d.documentId, replies, writeControl: { requiredRevisionId: 'r2' } });
    },
  };

  // ------------------------------------------------------------------------------- drive
  const fileView = (f: Obj) => {
    const { content: _c, ...rest } = f;
    return rest;
  };
  /** The clauses drive_list_files writes, evaluated; anything else is an invalid query as Google says. */
  const matches = (f: Obj, q: string): boolean | undefined => {
    if (!q) return true;
    return q.split(/\s+and\s+/).every((raw) => {
      const c = raw.replace(/^\((.*)\)$/, '$1');
      let m: RegExpExecArray | null;
      if ((m = /^trashed\s*=\s*(true|false)$/.exec(c))) return String(Boolean(f.trashed)) === m[1];
      if ((m = /^'((?:[^'\\]|\\.)*)'\s+in\s+parents$/.exec(c))) return (f.parents ?? []).includes(m[1].replace(/\\(.)/g, '$1'));
      if ((m = /^name\s+contains\s+'((?:[^'\\]|\\.)*)'$/.exec(c))) return f.name.toLowerCase().includes(m[1].replace(/\\(.)/g, '$1').toLowerCase());
      if ((m = /^mimeType\s*(=|!=)\s*'((?:[^'\\]|\\.)*)'$/.exec(c))) return (f.mimeType === m[2]) === (m[1] === '=');
      if ((m = /^starred\s*=\s*(true|false)$/.exec(c))) return String(Boolean(f.starred)) === m[1];
      if ((m = /^fullText\s+contains\s+'((?:[^'\\]|\\.)*)'$/.exec(c))) return `${f.name} ${String(f.content ?? '')}`.toLowerCase().includes(m[1].toLowerCase());
      throw new Error(`unsupported clause ${c}`);
    });
  };
  const sessions = new Map<string, { meta: Obj; total: number; got: Buffer[]; received: number }>();
  let routerUrl = '';
  let sessionFailures = 0;
  const putFile = (meta: Obj | undefined, content: string | undefined) => {
    const f = {
      kind: 'drive#file',
      id: newId('f'),
      name: meta?.name ?? 'Untitled',
      mimeType: meta?.mimeType ?? 'application/octet-stream',
      parents: meta?.parents ?? ['root'],
      modifiedTime: new Date(Date.now() + seq).toISOString(),
      ...(content !== undefined ? { size: String(Buffer.byteLength(content)) } : {}),
      webViewLink: 'https://drive.google.com/file/d/x/view',
      trashed: false,
      content,
    };
    files.set(f.id, f);
    return f;
  };
  /** PUT to a resumable session address: no bearer token (the address is the credential). */
  const sessionPut: FakeHandler = (req, res) => {
    const sess = sessions.get(req.params.sid);
    if (!sess) return gerr(404, 'Not Found', 'notFound');
    const range = String(req.headers['content-range'] ?? '');
    const held = (): Record<string, string> => (sess.received ? { range: `bytes=0-${sess.received - 1}` } : {});
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range);
    if (m) {
      if (Number(m[1]) !== sess.received) return gerr(400, `Chunk starts at ${m[1]}, expected ${sess.received}.`, 'badRequest');
      sess.got.push(req.rawBody);
      sess.received += req.rawBody.length;
      if (sessionFailures > 0) {
        sessionFailures--;
        return { status: 503, headers: { 'content-type': 'text/plain' }, body: 'Service Unavailable' };
      }
    } else if (!/^bytes \*\/\d+$/.test(range)) return gerr(400, 'Bad Content-Range.', 'badRequest');
    if (sess.received >= sess.total) {
      sessions.delete(req.params.sid);
      return res.json(fileView(putFile(sess.meta, Buffer.concat(sess.got).toString('latin1'))));
    }
    return { status: 308, headers: held() };
  };
  const drive: Record<string, FakeHandler> = {
    'drive.files.list': (req, res) => {
      let list: Obj[];
      try {
        list = [...files.values()].filter((f) => matches(f, String(req.query.q ?? '')));
      } catch {
        return gerr(400, 'Invalid Value', 'invalid', { status: 'INVALID_ARGUMENT' });
      }
      list.sort((a, b) => String(b.modifiedTime).localeCompare(String(a.modifiedTime)));
      const size = Number(req.query.pageSize ?? 100);
      const from = Number(req.query.pageToken ?? 0);
      const page = list.slice(from, from + size);
      const next = from + size < list.length ? String(from + size) : undefined;
      return res.json({ kind: 'drive#fileList', files: page.map(fileView), ...(next ? { nextPageToken: next } : {}) });
    },
    'drive.files.create': (req, res) => {
      if (req.upload && req.query.uploadType === 'resumable') {
        const sid = newId('s').replace(/[^A-Za-z0-9]/g, '');
        sessions.set(sid, { meta: req.body ?? {}, total: Number(req.headers['x-upload-content-length'] ?? 0), got: [], received: 0 });
        return { status: 200, headers: { location: `${routerUrl}upload/drive/v3/resumable/${sid}` } };
      }
      const meta = req.upload ? req.body.metadata : req.body;
      let content: string | undefined;
      if (req.upload) {
        const text = String(req.body.text ?? '');
        const boundary = /boundary=([^;]+)/.exec(String(req.headers['content-type']))?.[1];
        const parts = boundary ? text.split(`--${boundary}`) : [];
        const second = parts[2] ?? '';
        content = second.slice(second.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
      }
      return res.json(fileView(putFile(meta, content)));
    },
    'drive.files.get': (req, res) => {
      const f = files.get(req.params.fileId);
      if (!f) return gerr(404, `File not found: ${req.params.fileId}.`, 'notFound', { status: 'NOT_FOUND' });
      if (req.query.alt === 'media') {
        if (String(f.mimeType).startsWith('application/vnd.google-apps.'))
          return gerr(403, 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', 'fileNotDownloadable');
        return { status: 200, headers: { 'content-type': f.mimeType }, body: Buffer.from(f.content ?? '', 'latin1') };
      }
      return res.json(fileView(f));
    },
    'drive.files.export': (req) => {
      const f = files.get(req.params.fileId);
      if (!f) return gerr(404, `File not found: ${req.params.fileId}.`, 'notFound', { status: 'NOT_FOUND' });
      const out = f.exports?.[String(req.query.mimeType)];
      if (out === undefined) return gerr(400, 'The requested conversion is not supported.', 'badRequest');
      return { status: 200, headers: { 'content-type': String(req.query.mimeType) }, body: Buffer.from(out) };
    },
    'drive.files.update': (req, res) => {
      const f = files.get(req.params.fileId);
      if (!f) return gerr(404, `File not found: ${req.params.fileId}.`, 'notFound', { status: 'NOT_FOUND' });
      const rm = String(req.query.removeParents ?? '')
        .split(',')
        .filter(Boolean);
      const add = String(req.query.addParents ?? '')
        .split(',')
        .filter(Boolean);
      f.parents = [...(f.parents ?? []).filter((p: string) => !rm.includes(p)), ...add.filter((p) => !(f.parents ?? []).includes(p))];
      Object.assign(f, req.body ?? {});
      f.modifiedTime = new Date(Date.now() + ++seq).toISOString();
      return res.json(fileView(f));
    },
    'drive.permissions.create': (req, res) => {
      const f = files.get(req.params.fileId);
      if (!f) return gerr(404, `File not found: ${req.params.fileId}.`, 'notFound', { status: 'NOT_FOUND' });
      const p = { kind: 'drive#permission', id: req.body.type === 'anyone' ? 'anyoneWithLink' : `perm${++seq}`, ...req.body, _notify: req.query.sendNotificationEmail };
      f.permissions = [...(f.permissions ?? []), p];
      const { _notify, allowFileDiscovery: _a, ...out } = p;
      return res.json(out);
    },
  };

  // ---------------------------------------------------------------------------- calendar
  const calendarZones: Record<string, string> = { primary: 'Europe/Paris' };
  const startMs = (t: Obj) => Date.parse(t.dateTime ?? `${t.date}T00:00:00Z`);
  const calendar: Record<string, FakeHandler> = {
    'calendar.calendars.get': (req, res) => res.json({ kind: 'calendar#calendar', id: req.params.calendarId, summary: 'Calendar', timeZone: calendarZones[req.params.calendarId] ?? 'UTC' }),
    'calendar.events.insert': (req, res) => {
      const body = req.body as Obj;
      const id = body.id ?? newId('ev');
      const key = `${req.params.calendarId}/${id}`;
      if (events.has(key)) return gerr(409, 'The requested identifier already exists.', 'duplicate', { status: 'ALREADY_EXISTS' });
      const e = {
        kind: 'calendar#event',
        ...body,
        id,
        status: 'confirmed',
        htmlLink: `https://calendar.google.com/event?eid=${id}`,
        organizer: { email: 'me@example.com', self: true },
        _cal: req.params.calendarId,
        _sendUpdates: req.query.sendUpdates,
      };
      events.set(key, e);
      const { _cal, _sendUpdates, ...out } = e;
      return res.json(out);
    },
    'calendar.events.get': (req, res) => {
      const e = events.get(`${req.params.calendarId}/${req.params.eventId}`);
      if (!e) return gerr(404, 'Not Found', 'notFound', { status: 'NOT_FOUND' });
      const { _cal, _sendUpdates, ...out } = e;
      return res.json(out);
    },
    'calendar.calendarList.list': (_req, res) =>
      res.json({
        kind: 'calendar#calendarList',
        items: [
          { kind: 'calendar#calendarListEntry', id: 'me@example.com', summary: 'Me', timeZone: 'Europe/Paris', accessRole: 'owner', primary: true },
          { kind: 'calendar#calendarListEntry', id: 'team@group.calendar.google.com', summary: 'Team', summaryOverride: 'Team (mine)', timeZone: 'UTC', accessRole: 'reader' },
        ],
      }),
    'calendar.events.patch': (req, res) => {
      const e = events.get(`${req.params.calendarId}/${req.params.eventId}`);
      if (!e || e.status === 'cancelled') return gerr(404, 'Not Found', 'notFound', { status: 'NOT_FOUND' });
      Object.assign(e, req.body, { _sendUpdates: req.query.sendUpdates });
      const { _cal, _sendUpdates, ...out } = e;
      return res.json(out);
    },
    'calendar.events.delete': (req, res) => {
      const e = events.get(`${req.params.calendarId}/${req.params.eventId}`);
      if (!e) return gerr(404, 'Not Found', 'notFound', { status: 'NOT_FOUND' });
      if (e.status === 'cancelled') return gerr(410, 'Resource has been deleted', 'deleted', { status: 'GONE' });
      e.status = 'cancelled';
      e._sendUpdates = req.query.sendUpdates;
      return res.empty(204);
    },
    'calendar.freebusy.query': (req, res) => {
      const b = req.body as Obj;
      const min = Date.parse(b.timeMin);
      const max = Date.parse(b.timeMax);
      const calendars: Obj = {};
      for (const { id } of b.items ?? []) {
        const known = id === 'primary' || id.endsWith('@example.com');
        if (!known) {
          calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
          continue;
        }
        const busy = [...events.values()]
          .filter((e) => (e._cal === id || (e.attendees ?? []).some((a: Obj) => a.email === id)) && e.status !== 'cancelled' && e.start?.dateTime)
          .map((e) => ({ start: new Date(Date.parse(e.start.dateTime)).toISOString(), end: new Date(Date.parse(e.end.dateTime)).toISOString() }))
          .filter((x) => Date.parse(x.end) > min && Date.parse(x.start) < max);
        calendars[id] = { busy };
      }
      return res.json({ kind: 'calendar#freeBusy', timeMin: b.timeMin, timeMax: b.timeMax, calendars });
    },
    'calendar.events.list': (req, res) => {
      const q = req.query as Obj;
      const min = q.timeMin ? Date.parse(q.timeMin) : -Infinity;
      const max = q.timeMax ? Date.parse(q.timeMax) : Infinity;
      const out: Obj[] = [];
      for (const e of events.values()) {
        if (e._cal !== req.params.calendarId || e.status === 'cancelled') continue;
        if (q.q && !`${e.summary} ${e.description ?? ''} ${e.location ?? ''}`.toLowerCase().includes(String(q.q).toLowerCase())) continue;
        const { _cal, _sendUpdates, ...ev } = e;
        const daily = /FREQ=DAILY;COUNT=(\d+)/.exec((e.recurrence ?? []).join(';'));
        if (daily && String(q.singleEvents) === 'true') {
          for (let i = 0; i < Number(daily[1]); i++) {
            const shift = (t: Obj) => (t.dateTime ? { ...t, dateTime: new Date(Date.parse(t.dateTime) + i * 86_400_000).toISOString() } : t);
            const inst = { ...ev, id: `${e.id}_${i}`, recurringEventId: e.id, recurrence: undefined, start: shift(e.start), end: shift(e.end) };
            if (startMs(inst.end) > min && startMs(inst.start) < max) out.push(inst);
          }
        } else if (startMs(e.end) > min && startMs(e.start) < max) out.push(ev);
      }
      out.sort((a, b) => startMs(a.start) - startMs(b.start));
      const size = Number(q.maxResults ?? 250);
      const from = Number(q.pageToken ?? 0);
      const next = from + size < out.length ? String(from + size) : undefined;
      return res.json({ kind: 'calendar#events', timeZone: calendarZones[req.params.calendarId] ?? 'UTC', items: out.slice(from, from + size), ...(next ? { nextPageToken: next } : {}) });
    },
  };

  // -------------------------------------------------------------------------------- gmail
  const hdr = (m: Obj) =>
    Object.entries<string>({ From: m.from, To: m.to, Cc: m.cc, Subject: m.subject, Date: m.date, 'Message-ID': m.messageId, References: m.references })
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ name, value }));
  const enc = (t: string) => Buffer.from(t).toString('base64url');
  const payloadOf = (m: Obj) => {
    const body: Obj[] = [];
    if (m.text !== undefined) body.push({ partId: '0.0', mimeType: 'text/plain', filename: '', headers: [], body: { size: m.text.length, data: enc(m.text) } });
    if (m.html !== undefined) body.push({ partId: '0.1', mimeType: 'text/html', filename: '', headers: [], body: { size: m.html.length, data: enc(m.html) } });
    const atts = (m.attachments ?? []).map((a: Obj, i: number) => ({
      partId: String(i + 1),
      mimeType: a.mimeType,
      filename: a.filename,
      headers: [],
      body: { size: a.size, attachmentId: `att${i}` },
    }));
    return {
      partId: '',
      mimeType: 'multipart/mixed',
      filename: '',
      headers: hdr(m),
      body: { size: 0 },
      parts: [{ partId: '0', mimeType: 'multipart/alternative', filename: '', headers: [], body: { size: 0 }, parts: body }, ...atts],
    };
  };
  const msgView = (m: Obj, format = 'full') => {
    const base = {
      id: m.id,
      threadId: m.threadId,
      labelIds: m.labelIds,
      snippet: (m.text ?? m.html ?? '').slice(0, 100),
      historyId: '1',
      internalDate: String(Date.parse(m.date ?? '2025-01-01')),
      sizeEstimate: 100,
    };
    if (format === 'minimal') return base;
    if (format === 'metadata') return { ...base, payload: { mimeType: 'multipart/mixed', headers: hdr(m) } };
    return { ...base, payload: payloadOf(m) };
  };
  const mail = new Map<string, Obj>();
  const gmailQuery = (m: Obj, q: string) =>
    q
      .split(/\s+/)
      .filter(Boolean)
      .every((t) => {
        const [k, v] = t.includes(':') ? [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1).toLowerCase()] : ['', t.toLowerCase()];
        if (k === 'from') return String(m.from).toLowerCase().includes(v);
        if (k === 'subject') return String(m.subject).toLowerCase().includes(v);
        if (k === 'is' && v === 'unread') return m.labelIds.includes('UNREAD');
        if (k === 'in' && v === 'drafts') return m.labelIds.includes('DRAFT');
        return `${m.subject} ${m.text ?? ''} ${m.html ?? ''}`.toLowerCase().includes(v);
      });
  const parseRaw = (raw: string) => {
    const text = Buffer.from(raw, 'base64url').toString('utf8');
    const [head, ...rest] = text.split('\r\n\r\n');
    const headers: Obj = {};
    for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    return { headers, body: rest.join('\r\n\r\n'), raw: text };
  };
  const store = (raw: string, threadId: string | undefined, labelIds: string[]) => {
    const p = parseRaw(raw);
    if (threadId && ![...mail.values()].some((m) => m.threadId === threadId)) return undefined;
    const id = newId('m').replace(/[^A-Za-z0-9]/g, '');
    const m = {
      id,
      threadId: threadId ?? id,
      labelIds,
      from: 'me@example.com',
      to: p.headers.to,
      cc: p.headers.cc,
      subject: p.headers.subject,
      date: new Date().toUTCString(),
      messageId: p.headers['message-id'],
      references: p.headers.references,
      text: p.body,
      raw: p.raw,
      headers: p.headers,
    };
    mail.set(id, m);
    return m;
  };
  const gmail: Record<string, FakeHandler> = {
    'gmail.users.messages.list': (req, res) => {
      const list = [...mail.values()].filter((m) => !m.labelIds.includes('DRAFT') && gmailQuery(m, String(req.query.q ?? ''))).reverse();
      const size = Number(req.query.maxResults ?? 100);
      const from = Number(req.query.pageToken ?? 0);
      const next = from + size < list.length ? String(from + size) : undefined;
      return res.json({ messages: list.slice(from, from + size).map((m) => ({ id: m.id, threadId: m.threadId })), resultSizeEstimate: list.length, ...(next ? { nextPageToken: next } : {}) });
    },
    'gmail.users.messages.get': (req, res) => {
      const m = mail.get(req.params.id);
      return m ? res.json(msgView(m, String(req.query.format ?? 'full'))) : gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
    },
    'gmail.users.threads.get': (req, res) => {
      const msgs = [...mail.values()].filter((m) => m.threadId === req.params.id);
      return msgs.length
        ? res.json({ id: req.params.id, historyId: '1', messages: msgs.map((m) => msgView(m, String(req.query.format ?? 'full'))) })
        : gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
    },
    'gmail.users.labels.list': (_req, res) =>
      res.json({
        labels: [
          { id: 'INBOX', name: 'INBOX', type: 'system' },
          { id: 'UNREAD', name: 'UNREAD', type: 'system' },
          { id: 'Label_1', name: 'Clients', type: 'user' },
        ],
      }),
    'gmail.users.messages.modify': (req, res) => {
      const m = mail.get(req.params.id);
      if (!m) return gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
      m.labelIds = [...new Set([...m.labelIds.filter((l: string) => !(req.body.removeLabelIds ?? []).includes(l)), ...(req.body.addLabelIds ?? [])])];
      return res.json({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });
    },
    'gmail.users.drafts.create': (req, res) => {
      const m = store(req.body.message?.raw ?? '', req.body.message?.threadId, ['DRAFT']);
      if (!m) return gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
      return res.json({ id: `r${m.id}`, message: { id: m.id, threadId: m.threadId, labelIds: m.labelIds } });
    },
    'gmail.users.messages.send': (req, res) => {
      const m = store(req.body.raw ?? '', req.body.threadId, ['SENT']);
      if (!m) return gerr(404, 'Requested entity was not found.', 'notFound', { status: 'NOT_FOUND' });
      return res.json({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });
    },
  };

  const routes: Record<Api, Record<string, FakeHandler>> = { sheets, docs, drive, calendar, gmail };
  const isWrite = (op: string) => WRITES.has(op) || /\.(create|insert|batchUpdate|update|patch|delete|append|clear|trash|send|modify|copy)$/.test(op);
  const apis = {} as Record<Api, FakeApi>;
  for (const api of Object.keys(APIS) as Api[]) {
    const wrapped: Record<string, FakeHandler> = {};
    for (const [op, h] of Object.entries(routes[api])) {
      wrapped[op] = authed(api, isWrite(op), h);
    }
    const extra =
      api === 'drive'
        ? [
            {
              id: 'drive.resumable.put',
              method: 'PUT',
              path: '/upload/drive/v3/resumable/{sid}',
              contentTypes: ['*/*'],
              params: [{ name: 'sid', in: 'path' as const, required: true, schema: { type: 'string' } }],
            },
          ]
        : [];
    if (api === 'drive') wrapped['drive.resumable.put'] = sessionPut;
    apis[api] = await startFakeApi({ contract: join(SPECS, APIS[api]), routes: wrapped, extraOperations: extra });
  }

  // One root URL in front of the five fakes, as GOOGLE_API_ROOT_URL sees Google.
  const prefix: [RegExp, Api][] = [
    [/^\/v4\/spreadsheets/, 'sheets'],
    [/^\/v1\/documents/, 'docs'],
    [/^\/(upload\/)?drive\/v3\//, 'drive'],
    [/^\/calendar\/v3\//, 'calendar'],
    [/^\/(upload\/)?gmail\/v1\//, 'gmail'],
  ];
  const router = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const api = prefix.find(([re]) => re.test(path))?.[1];
    if (!api) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 404, message: `No fake API serves ${path}` } }));
      return;
    }
    const to = http.request({ host: '127.0.0.1', port: apis[api].port, method: req.method, path, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    to.on('error', () => res.destroy());
    req.pipe(to);
  });
  await new Promise<void>((r) => router.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(router.address() as AddressInfo).port}/`;
  routerUrl = url;

  return {
    url,
    oauth,
    apis,
    saKey: {
      type: 'service_account',
      project_id: 'proj',
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: SA_EMAIL,
      client_id: '1234567890',
      token_uri: oauth.tokenUrl,
    },
    calls,
    ops: () => calls.map((c) => c.operation),
    spreadsheets,
    documents,
    files,
    events,
    mail,
    failNext(operation, count, res) {
      failures.set(operation, { count, res });
    },
    failChunks(count) {
      sessionFailures = count;
    },
    assertNoViolations() {
      for (const a of Object.values(apis)) a.assertNoViolations();
    },
    reset() {
      calls.length = 0;
      failures.clear();
      for (const a of Object.values(apis)) a.reset();
    },
    async close() {
      await new Promise<void>((r) => {
        router.close(() => r());
        router.closeAllConnections();
      });
      await Promise.all([...Object.values(apis).map((a) => a.close()), oauth.close()]);
    },
  };
}

/** Fills a sheet with rows directly (test set-up). */
export function seedSheet(g: FakeGoogle, title: string, rows: unknown[][]): string {
  const id = `seed${g.spreadsheets.size + 1}abc`;
  g.spreadsheets.set(id, {
    spreadsheetId: id,
    properties: { title, locale: 'en_US', timeZone: 'Europe/Paris' },
    sheets: [{ properties: { sheetId: 0, title: 'Data', index: 0, gridProperties: { rowCount: Math.max(1000, rows.length), columnCount: 26 } }, rows: rows.map((r) => [...r]) }],
    namedRanges: [{ namedRangeId: 'n1', name: 'Totals', range: { sheetId: 0 } }],
  });
  return id;
}

/** Environment for a server that uses a stored OAuth token (set BIZMCP_CONFIG_DIR too). */
export function oauthEnv(g: FakeGoogle, configDir: string): Record<string, string> {
  return {
    GOOGLE_API_ROOT_URL: g.url,
    GOOGLE_OAUTH_TOKEN_URL: g.oauth.tokenUrl,
    GOOGLE_OAUTH_AUTHORIZE_URL: g.oauth.authorizeUrl,
    GOOGLE_OAUTH_CLIENT_ID: CLIENT.clientId,
    GOOGLE_OAUTH_CLIENT_SECRET: CLIENT.clientSecret,
    BIZMCP_CONFIG_DIR: configDir,
    HOME: configDir,
  };
}
