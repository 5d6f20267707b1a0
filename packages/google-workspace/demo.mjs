// Demo plan: runs against a LOCAL STAND-IN for Google's APIs and token endpoint started here (not
// Google), with an authorisation stored in a temporary config directory as `auth` would have left
// it. The stand-in's first access token stops working after three calls, to show the server
// refreshing it mid-session without the caller noticing. The real tests use a fake checked against
// Google's discovery documents instead (test/fake-google.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The stand-in: POST /token (refresh grant), Sheets values get/update/append, Docs create/get/
 * batchUpdate (insertText at the end), Drive files.list and multipart upload, Calendar events
 * insert/list/get. `rows` seeds a sheet "Data" of spreadsheet "demo-sheet".
 */
export async function startLocalGoogle({ rows = 200, expireAfter = 3 } = {}) {
  const stats = { tokenRequests: 0, unauthorized: 0, byPath: {} };
  const valid = new Set();
  let issued = 0;
  let uses = 0;
  const sheet = [['Region', 'Month', 'Revenue']];
  for (let i = 1; i < rows; i++) sheet.push([['North', 'South', 'East', 'West'][i % 4], `2025-${String((i % 12) + 1).padStart(2, '0')}`, 1000 + ((i * 37) % 900)]);
  const docs = new Map();
  const files = [{ id: 'file1', name: 'Q3 plan', mimeType: 'application/vnd.google-apps.document', modifiedTime: '2025-09-01T10:00:00.000Z' }];
  const events = new Map();
  const col = (c) => [...c.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
  const window = (range) => {
    const m = /!?\$?([A-Z]*)(\d*)(?::\$?([A-Z]*)(\d*))?$/i.exec(decodeURIComponent(range).split('!').pop());
    return { c0: m[1] ? col(m[1]) - 1 : 0, r0: m[2] ? Number(m[2]) - 1 : 0, c1: m[3] ? col(m[3]) : 18278, r1: m[4] ? Number(m[4]) : Number.MAX_SAFE_INTEGER };
  };
  const docView = (d) => ({
    documentId: d.id,
    title: d.title,
    body: {
      content: [
        { endIndex: 1, sectionBreak: {} },
        ...d.lines.map((t) => ({ paragraph: { elements: [{ textRun: { content: `${t}\n` } }], paragraphStyle: { namedStyleType: t.startsWith('Agenda') ? 'HEADING_1' : 'NORMAL_TEXT' } } })),
      ],
    },
  });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status, o) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      const key = `${req.method} ${url.pathname.replace(/[A-Za-z0-9_-]{12,}|demo-sheet|file\d+/g, '{id}').replace(/\/values\/[^/:]+/, '/values/{range}')}`;
      stats.byPath[key] = (stats.byPath[key] ?? 0) + 1;
      if (url.pathname === '/token') {
        stats.tokenRequests++;
        const t = `demo_at_${++issued}`;
        valid.add(t);
        uses = 0;
        return send(200, { access_token: t, expires_in: 3600, token_type: 'Bearer' });
      }
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (valid.has(token) && issued === 1 && ++uses > expireAfter) valid.delete(token); // the first token "expires" early
      if (!valid.has(token)) {
        stats.unauthorized++;
        return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
      }
      const p = url.pathname;
      let m;
      if ((m = /^\/v4\/spreadsheets\/[^/]+\/values\/([^/:]+)(:append)?$/.exec(p))) {
        const w = window(m[1]);
        if (req.method === 'GET') {
          const values = sheet.slice(w.r0, w.r1).map((r) => r.slice(w.c0, w.c1));
          return send(200, { range: decodeURIComponent(m[1]), majorDimension: 'ROWS', values });
        }
        const vals = JSON.parse(body).values;
        if (m[2]) {
          const start = sheet.length;
          sheet.push(...vals);
          return send(200, { updates: { updatedRange: `Data!A${start + 1}:C${start + vals.length}`, updatedRows: vals.length, updatedCells: vals.flat().length } });
        }
        vals.forEach((r, i) => (sheet[w.r0 + i] = r));
        return send(200, { updatedRange: decodeURIComponent(m[1]), updatedRows: vals.length, updatedColumns: vals[0].length, updatedCells: vals.flat().length });
      }
      if (p === '/v1/documents' && req.method === 'POST') {
        const d = { id: `doc${docs.size + 1}demo000000`, title: JSON.parse(body).title, lines: [''] };
        docs.set(d.id, d);
        return send(200, docView(d));
      }
      if ((m = /^\/v1\/documents\/([^/:]+)(:batchUpdate)?$/.exec(p))) {
        const d = docs.get(m[1]);
        if (!d) return send(404, { error: { code: 404, message: 'Requested entity was not found.' } });
        if (m[2]) for (const r of JSON.parse(body).requests) if (r.insertText) d.lines = `${d.lines.join('\n')}${r.insertText.text}`.split('\n').filter((x, i, a) => x || i < a.length - 1);
        return send(200, m[2] ? { documentId: d.id, replies: [{}] } : docView(d));
      }
      if (p === '/drive/v3/files' && req.method === 'GET') return send(200, { files: files.slice(0, Number(url.searchParams.get('pageSize') ?? 50)) });
      if (p === '/upload/drive/v3/files') {
        const meta = JSON.parse(/\r\n\r\n(\{.*?\})\r\n/s.exec(body)?.[1] ?? '{}');
        const f = { id: `file${files.length + 1}`, name: meta.name, mimeType: meta.mimeType, modifiedTime: new Date().toISOString(), size: String(body.length) };
        files.unshift(f);
        return send(200, f);
      }
      if ((m = /^\/calendar\/v3\/calendars\/([^/]+)(\/events(?:\/([^/]+))?)?$/.exec(p))) {
        if (!m[2]) return send(200, { id: m[1], timeZone: 'Europe/Paris' });
        if (req.method === 'POST') {
          const e = JSON.parse(body);
          if (events.has(e.id)) return send(409, { error: { code: 409, message: 'The requested identifier already exists.', errors: [{ reason: 'duplicate' }] } });
          events.set(e.id, { ...e, status: 'confirmed' });
          return send(200, events.get(e.id));
        }
        if (m[3]) return send(200, events.get(m[3]));
        return send(200, { timeZone: 'Europe/Paris', items: [...events.values()] });
      }
      send(404, { error: { code: 404, message: `the stand-in does not serve ${req.method} ${p}` } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, tokenUrl: `${url}token`, stats, close: () => new Promise((r) => server.close(r)) };
}

/** A config directory holding a stored authorisation for the stand-in, as `auth` writes it. */
export function storedAuthorisation(tokenUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'bizmcp-gw-demo-'));
  mkdirSync(join(dir, 'google-workspace'), { recursive: true, mode: 0o700 });
  const scopes = ['spreadsheets', 'documents', 'drive', 'calendar'].map((s) => `https://www.googleapis.com/auth/${s}`);
  const file = { version: 1, accounts: { default: { refreshToken: 'demo-refresh-token', scopes, tokenUrl, clientId: 'demo-client', obtainedAt: Date.now() } } };
  writeFileSync(join(dir, 'google-workspace', 'tokens.json'), JSON.stringify(file), { mode: 0o600 });
  return dir;
}

export default {
  async prepare() {
    const g = await startLocalGoogle();
    const config = storedAuthorisation(g.tokenUrl);
    const files = mkdtempSync(join(tmpdir(), 'bizmcp-gw-files-'));
    writeFileSync(join(files, 'notes.txt'), 'Minutes of the Q3 review\n');
    const event = { summary: 'Q3 review', start: '2031-03-10T09:00', end: '2031-03-10T10:00', time_zone: 'Europe/Paris', attendees: ['ana@example.com'] };
    return {
      note: `LOCAL STAND-IN for Google's APIs and token endpoint at ${g.url} (not Google); a stored authorisation in ${config}; attendees allowed: @example.com`,
      env: {
        BIZMCP_CONFIG_DIR: config,
        HOME: config,
        GOOGLE_API_ROOT_URL: g.url,
        GOOGLE_OAUTH_TOKEN_URL: g.tokenUrl,
        GOOGLE_OAUTH_CLIENT_ID: 'demo-client',
        GOOGLE_ALLOWED_RECIPIENTS: '@example.com',
        GOOGLE_FILE_ROOTS: files,
      },
      calls: [
        { name: 'sheets_read_range', arguments: { spreadsheet_id: 'demo-sheet', range: 'Data!A1:C5' } },
        { name: 'sheets_append_rows', arguments: { spreadsheet_id: 'demo-sheet', range: 'Data!A:C', values: [['North', '2025-10', 1234]] } },
        { name: 'sheets_write_range', arguments: { spreadsheet_id: 'demo-sheet', range: 'Data!C2', values: [[999]] } },
        { name: 'docs_create', arguments: { title: 'Q3 review notes', content: 'Agenda\nRevenue by region' } },
        { name: 'drive_list_files', arguments: { limit: 5 } },
        { name: 'drive_upload_file', arguments: { path: 'notes.txt' } },
        { name: 'calendar_create_event', arguments: event },
        { name: 'calendar_create_event', arguments: event },
        { name: 'calendar_create_event', arguments: { ...event, attendees: ['mallory@elsewhere.test'] }, expectError: true },
        { name: 'calendar_list_events', arguments: { time_min: '2031-03-10T00:00', time_max: '2031-03-11T00:00', time_zone: 'Europe/Paris' } },
      ],
      cleanup: async () => {
        process.stdout.write(
          `\n(stand-in: ${g.stats.tokenRequests} token refreshes, ${g.stats.unauthorized} answer(s) 401 after the first token stopped working mid-session, each followed by a refresh and a successful retry; the second identical calendar_create_event returned the first event)\n`,
        );
        await g.close();
      },
    };
  },
};
