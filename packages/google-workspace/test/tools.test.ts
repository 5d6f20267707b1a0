// Every tool through a real MCP client, against the fake Google (requests checked against the
// discovery documents).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { textOf } from '@bizmcp/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { calendarCreateEvent, calendarListEvents } from '../src/tools/calendar.js';
import { docsAppendText, docsCreate, docsInsertTable, docsRead, docsReplaceText } from '../src/tools/docs.js';
import { driveListFiles, driveUploadFile } from '../src/tools/drive.js';
import { sheetsAddTab, sheetsAppendRows, sheetsClearRange, sheetsCreate, sheetsFind, sheetsGetInfo, sheetsReadRange, sheetsWriteRange } from '../src/tools/sheets.js';
import { type FakeGoogle, seedSheet, startFakeGoogle } from './fake-google.js';
import { connect, storeToken, tempDir } from './helpers.js';

let g: FakeGoogle;
let dir: string;
let files: string;
let c: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  g = await startFakeGoogle();
  dir = tempDir();
  files = tempDir('gw-files-');
  await storeToken(g, dir);
  c = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: files, GOOGLE_MAX_CELLS: '100', GOOGLE_ALLOWED_RECIPIENTS: '@example.com' } });
});
afterEach(() => g.assertNoViolations());
afterAll(async () => {
  await c.close();
  await g.close();
});

describe('sheets', () => {
  it('reads a range, paged by rows under the cell cap, with the account named', async () => {
    const rows = [['Name', 'Amount'], ...Array.from({ length: 120 }, (_, i) => [`n${i}`, i])];
    const id = seedSheet(g, 'Budget', rows);
    const first = await c.ok(sheetsReadRange, { spreadsheet_id: id, range: 'Data!A1:B' });
    expect(first.account).toBe('oauth (default account)');
    expect(first.values[0]).toEqual(['Name', 'Amount']);
    expect(first.rowCount).toBe(50); // 100 cells / 2 columns
    expect(first.truncated).toBe(true);
    const got = [...first.values];
    let cursor = first.nextCursor;
    while (cursor) {
      const p = await c.ok(sheetsReadRange, { spreadsheet_id: id, range: 'Data!A1:B', cursor });
      got.push(...p.values);
      cursor = p.nextCursor;
    }
    expect(got).toEqual(rows);
  });

  it('refuses a range that is not A1 notation, before any request', async () => {
    g.reset();
    const r = await c.call('sheets_read_range', { spreadsheet_id: 'abc', range: 'Data!A1:B2:C3' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/A1 notation/);
    expect(g.calls).toHaveLength(0);
  });

  it('writes a range, appends rows and returns the range written, clears', async () => {
    const id = seedSheet(g, 'Log', [['When', 'What']]);
    const w = await c.ok(sheetsWriteRange, {
      spreadsheet_id: id,
      range: 'Data!A2:B3',
      values: [
        ['mon', 'a'],
        ['tue', 'b'],
      ],
    });
    expect(w).toMatchObject({ updatedRange: 'Data!A2:B3', updatedRows: 2, updatedCells: 4 });
    const a = await c.ok(sheetsAppendRows, { spreadsheet_id: id, range: 'Data!A:B', values: [['wed', 'c']] });
    expect(a.updatedRange).toBe('Data!A4:B4');
    expect(g.spreadsheets.get(id)!.sheets[0].rows[3]).toEqual(['wed', 'c']);
    const put = g.apis.sheets.calls('sheets.spreadsheets.values.update')[0];
    expect(put.url).toContain('valueInputOption=USER_ENTERED');
    await c.ok(sheetsClearRange, { spreadsheet_id: id, range: 'Data!A4:B4' });
    expect(g.spreadsheets.get(id)!.sheets[0].rows[3]).toEqual(['', '']);
    const big = await c.call('sheets_write_range', { spreadsheet_id: id, range: 'Data!A1', values: Array.from({ length: 60 }, () => ['x', 'y']) });
    expect(textOf(big)).toMatch(/GOOGLE_MAX_CELLS/);
  });

  it('creates a spreadsheet, adds a tab, gives info, finds rows', async () => {
    const s = await c.ok(sheetsCreate, { title: 'Q3', tabs: ['Data'] });
    expect(s.tabs).toEqual(['Data']);
    const t = await c.ok(sheetsAddTab, { spreadsheet_id: s.spreadsheetId, title: 'Notes' });
    expect(t.title).toBe('Notes');
    const info = await c.ok(sheetsGetInfo, { spreadsheet_id: s.spreadsheetId });
    expect(info.sheets.map((x) => x.title)).toEqual(['Data', 'Notes']);
    const dup = await c.call('sheets_add_tab', { spreadsheet_id: s.spreadsheetId, title: 'Notes' });
    expect(textOf(dup)).toMatch(/already exists/);
    const id = seedSheet(g, 'People', [
      ['Name', 'City'],
      ['Ana', 'Paris'],
      ['Bo', 'Lyon'],
      ['Cy', 'paris'],
    ]);
    const f = await c.ok(sheetsFind, { spreadsheet_id: id, sheet: 'Data', column: 'City', value: 'PARIS' });
    expect(f.matches.map((m) => m.row)).toEqual([2, 4]);
    const byLetter = await c.ok(sheetsFind, { spreadsheet_id: id, sheet: 'Data', column: 'A', value: 'b', match: 'contains' });
    expect(byLetter.matches.map((m) => m.values[0])).toEqual(['Bo']);
  });
});

describe('docs', () => {
  it('creates a document with content and reads it back as markdown-like text, paged', async () => {
    const d = await c.ok(docsCreate, { title: 'Plan', content: 'Hello world\nSecond line' });
    expect(d.documentId).toBeTruthy();
    const r = await c.ok(docsRead, { document_id: d.documentId });
    expect(r.text).toBe('Hello world\nSecond line');
    const p = await c.ok(docsRead, { document_id: d.documentId, max_chars: 100, start_index: 6 });
    expect(p.text.startsWith('world')).toBe(true);
  });

  it('renders headings, lists and tables', async () => {
    g.documents.set('docseed1', {
      documentId: 'docseed1',
      title: 'Spec',
      blocks: [
        { kind: 'p', text: 'Overview', style: 'HEADING_1' },
        { kind: 'p', text: 'first', bullet: 0 },
        { kind: 'p', text: 'nested', bullet: 1 },
        {
          kind: 'table',
          cells: [
            ['a', 'b'],
            ['1', '2'],
          ],
        },
      ],
    });
    const r = await c.ok(docsRead, { document_id: 'docseed1' });
    expect(r.text).toBe('# Overview\n- first\n  - nested\n| a | b |\n| --- | --- |\n| 1 | 2 |');
  });

  it('appends, replaces and inserts a filled table', async () => {
    const d = await c.ok(docsCreate, { title: 'Notes', content: 'alpha beta' });
    await c.ok(docsAppendText, { document_id: d.documentId, text: '\ngamma' });
    const rep = await c.ok(docsReplaceText, { document_id: d.documentId, find: 'beta', replace_with: 'BETA' });
    expect(rep.occurrencesChanged).toBe(1);
    const t = await c.ok(docsInsertTable, {
      document_id: d.documentId,
      rows: 2,
      columns: 2,
      values: [
        ['h1', 'h2'],
        ['v1', 'v2'],
      ],
    });
    expect(t.cellsFilled).toBe(4);
    const r = await c.ok(docsRead, { document_id: d.documentId });
    expect(r.text).toContain('alpha BETA\ngamma');
    expect(r.text).toContain('| h1 | h2 |');
    expect(r.text).toContain('| v1 | v2 |');
  });
});

describe('drive', () => {
  it('uploads a file from the sandbox (multipart, under the root URL) and lists it', async () => {
    mkdirSync(join(files, 'out'), { recursive: true });
    writeFileSync(join(files, 'out', 'report.csv'), 'a,b\n1,2\n');
    const up = await c.ok(driveUploadFile, { path: 'out/report.csv' });
    expect(up.file.name).toBe('report.csv');
    expect(up.file.mimeType).toBe('text/csv');
    expect(up.bytes).toBe(8);
    const req = g.apis.drive.calls('drive.files.create').at(-1)!;
    expect(req.url).toMatch(/^\/upload\/drive\/v3\/files\?/);
    expect(req.url).toContain('uploadType=multipart');
    expect(g.files.get(up.file.id)!.content).toBe('a,b\n1,2\n');
    const list = await c.ok(driveListFiles, { name_contains: 'report' });
    expect(list.files.map((f) => f.id)).toContain(up.file.id);
    expect(g.apis.drive.calls('drive.files.list').at(-1)!.url).toContain('includeItemsFromAllDrives=true');
  });

  it('pages the list with a cursor', async () => {
    for (let i = 0; i < 5; i++) writeFileSync(join(files, `p${i}.txt`), `x${i}`);
    for (let i = 0; i < 5; i++) await c.ok(driveUploadFile, { path: `p${i}.txt`, name: `page-${i}.txt` });
    const a = await c.ok(driveListFiles, { name_contains: 'page-', limit: 3 });
    expect(a.files).toHaveLength(3);
    expect(a.truncated).toBe(true);
    const b = await c.ok(driveListFiles, { name_contains: 'page-', limit: 3, cursor: a.nextCursor });
    expect(b.files).toHaveLength(2);
    expect(b.truncated).toBe(false);
  });
});

describe('calendar', () => {
  it('creates an event from a local time and zone; the same call again returns the same event', async () => {
    const args = { summary: 'Review', start: '2031-03-10T09:00', end: '2031-03-10T10:00', time_zone: 'America/New_York', attendees: ['bo@example.com'] };
    const e = await c.ok(calendarCreateEvent, args);
    expect(e.alreadyExisted).toBe(false);
    expect(e.event.start.utc).toBe('2031-03-10T13:00:00.000Z'); // EDT starts 9 March 2031
    expect(e.event.start.local).toBe('2031-03-10T09:00:00-04:00');
    const sent = g.apis.calendar.calls('calendar.events.insert').at(-1)!;
    expect(sent.url).toContain('sendUpdates=none');
    const again = await c.ok(calendarCreateEvent, args);
    expect(again.alreadyExisted).toBe(true);
    expect(again.event.id).toBe(e.event.id);
    expect([...g.events.values()].filter((x) => x.summary === 'Review')).toHaveLength(1);
  });

  it('lists events in a window, recurring ones expanded, in UTC and the calendar zone', async () => {
    await c.ok(calendarCreateEvent, { summary: 'Standup', start: '2031-05-04T09:30:00+02:00', end: '2031-05-04T09:45:00+02:00', recurrence: ['RRULE:FREQ=DAILY;COUNT=3'] });
    const l = await c.ok(calendarListEvents, { time_min: '2031-05-04T00:00', time_max: '2031-05-10T00:00', time_zone: 'Europe/Paris', query: 'standup' });
    expect(l.calendarTimeZone).toBe('Europe/Paris');
    expect(l.events).toHaveLength(3);
    expect(l.events[1].start).toEqual({ utc: '2031-05-05T07:30:00.000Z', local: '2031-05-05T09:30:00+02:00' });
    const raw = await c.ok(calendarListEvents, { time_min: '2031-05-04T00:00:00Z', time_max: '2031-05-10T00:00:00Z', query: 'standup', expand_recurring: false });
    expect(raw.events).toHaveLength(1);
    expect(raw.events[0].recurrence).toEqual(['RRULE:FREQ=DAILY;COUNT=3']);
  });

  it('needs an explicit zone for local times', async () => {
    const r = await c.call('calendar_create_event', { summary: 'x', start: '2031-01-01T09:00', end: '2031-01-01T10:00' });
    expect(textOf(r)).toMatch(/time_zone is required/);
    const z = await c.call('calendar_list_events', { time_min: '2031-01-01T09:00', time_zone: 'Mars/Olympus' });
    expect(textOf(z)).toMatch(/IANA/);
  });
});
