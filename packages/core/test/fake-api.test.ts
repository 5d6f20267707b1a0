// The fake-API test kit against the official contracts (copies in test/fixtures/): Stripe's
// OpenAPI 3, Slack's Swagger 2.0 and Google's discovery documents. Requests are sent with plain
// fetch in the exact wire format each official SDK uses; every case checks the kind of violation,
// so a checker that let the request through would fail it.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { echoServer } from '../fixtures/echo-server.js';
import {
  builtBin,
  connectInProcess,
  createRecorder,
  decodeForm,
  loadContract,
  startFakeApi,
  startRecordingServer,
  VIOLATION_HEADER,
  VIOLATION_MARKER,
  type FakeApi,
  type Violation,
} from '../src/testing.js';

const fixture = (...p: string[]) => join(import.meta.dirname, 'fixtures', ...p);
const STRIPE = fixture('stripe', 'spec3.2022-04-12.json');
const SLACK = fixture('slack', 'slack_web_openapi_v2_without_examples.json');
const CALENDAR = fixture('google', 'calendar__v3.json');
const SHEETS = fixture('google', 'sheets__v4.json');
const DRIVE = fixture('google', 'drive__v3.json');

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const kinds = (v: Violation[]) => v.map((x) => x.kind);
const json = (r: Response): Promise<any> => r.json();

/** Expects the last request to have been refused for `kind`, and takes the violations. */
async function refused(fake: FakeApi, r: Response, kind: Violation['kind'], message?: RegExp): Promise<Violation[]> {
  const body = await json(r);
  expect(r.status).toBe(kind === 'unhandled' ? 501 : 400);
  expect(r.headers.get(VIOLATION_HEADER)).toContain(kind);
  expect(body.error.message).toContain(VIOLATION_MARKER);
  const v = fake.takeViolations();
  expect(kinds(v)).toContain(kind);
  if (message) expect(v.map((x) => x.message).join('\n')).toMatch(message);
  return v;
}

describe('Stripe (OpenAPI 3, form bodies with bracket notation)', () => {
  let fake: FakeApi;
  const customers = new Map<string, Record<string, unknown>>();
  const stripe = (path: string, init: { method?: string; body?: string; contentType?: string; auth?: boolean } = {}) =>
    fetch(fake.url + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.auth === false ? {} : { authorization: 'Bearer sk_test_123' }),
        'stripe-version': '2020-08-27',
        ...(init.body === undefined ? {} : { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded' }),
      },
      body: init.body,
    });

  beforeAll(async () => {
    fake = await startFakeApi({
      contract: STRIPE,
      routes: {
        PostCustomers: (req, res) => {
          const c = { id: `cus_${customers.size + 1}`, object: 'customer', ...req.body };
          customers.set(c.id, c);
          return res.json(c);
        },
        'GET /v1/customers/{customer}': (req, res) => {
          const c = customers.get(req.params.customer);
          return c ? res.json(c) : res.json({ error: { type: 'invalid_request_error', message: `No such customer: '${req.params.customer}'` } }, 404);
        },
        GetCustomers: (req, res) => res.json({ object: 'list', data: [...customers.values()].slice(0, Number(req.query.limit ?? 10)), has_more: false, url: '/v1/customers' }),
        PostPaymentIntents: (req, res) => res.json({ id: 'pi_1', object: 'payment_intent', amount: Number(req.body.amount), currency: req.body.currency }),
      },
    });
  });
  afterEach(() => fake.assertNoViolations());
  afterAll(() => fake.close());

  it('hands a valid request to its handler, decoded, and records it with its headers', async () => {
    const r = await stripe('/v1/customers', { body: 'email=ada%40example.com&metadata[plan]=pro&metadata[seats]=3&expand[]=default_source&preferred_locales[0]=fr&preferred_locales[1]=en' });
    expect(r.status).toBe(200);
    const c = await json(r);
    expect(c).toMatchObject({ id: 'cus_1', email: 'ada@example.com', metadata: { plan: 'pro', seats: '3' }, expand: ['default_source'], preferred_locales: ['fr', 'en'] });
    const hit = fake.requests.last()!;
    expect(hit).toMatchObject({ method: 'POST', path: '/v1/customers', operation: 'PostCustomers', status: 200 });
    expect(hit.headers.authorization).toBe('Bearer sk_test_123');
    expect(hit.headers['stripe-version']).toBe('2020-08-27');
    expect(hit.body).toEqual({ email: 'ada@example.com', metadata: { plan: 'pro', seats: '3' }, expand: ['default_source'], preferred_locales: ['fr', 'en'] });

    const got = await stripe(`/v1/customers/${c.id}?expand[]=default_source`);
    expect(await json(got)).toMatchObject({ id: 'cus_1', email: 'ada@example.com' });
    const list = await stripe('/v1/customers?limit=1&created[gte]=1700000000&email=ada%40example.com');
    expect((await json(list)).data).toHaveLength(1);
    expect(fake.calls('GetCustomers')[0].query).toEqual({ limit: '1', 'created[gte]': '1700000000', email: 'ada@example.com' });
    expect(fake.violations).toEqual([]);
  });

  it('refuses an unknown path', async () => {
    await refused(fake, await stripe('/v1/customerz'), 'unknown-path', /GET \/v1\/customerz is not an operation/);
  });

  it('refuses a method the path does not have', async () => {
    await refused(fake, await stripe('/v1/customers', { method: 'PUT', body: 'email=a%40b.c' }), 'wrong-method', /PUT is not allowed on \/v1\/customers \(the contract has (GET, POST|POST, GET)\)/);
  });

  it('refuses a missing path parameter', async () => {
    await refused(fake, await stripe('/v1/customers//sources'), 'missing-parameter', /`customer`/);
  });

  it('refuses a query parameter of the wrong type, and an unknown one', async () => {
    await refused(fake, await stripe('/v1/customers?limit=many'), 'invalid-parameter', /`limit` must be integer/);
    await refused(fake, await stripe('/v1/customers?colour=red'), 'unknown-parameter', /`colour`/);
  });

  it('refuses a body missing a required field, with a wrong type, or with an unknown field', async () => {
    await refused(fake, await stripe('/v1/payment_intents', { body: form({ currency: 'eur' }) }), 'invalid-body', /missing the required field `amount`/);
    await refused(fake, await stripe('/v1/payment_intents', { body: form({ amount: 'ten', currency: 'eur' }) }), 'invalid-body', /`amount` must be integer/);
    await refused(fake, await stripe('/v1/customers', { body: form({ nickname: 'x' }) }), 'invalid-body', /unknown field `nickname`/);
    await refused(fake, await stripe('/v1/customers', { body: 'metadata=flat' }), 'invalid-body', /`metadata`/);
    // the same operation, valid: amounts arrive as strings and are coerced like Stripe does
    const ok = await stripe('/v1/payment_intents', { body: form({ amount: '1000', currency: 'eur', 'metadata[order]': '42' }) });
    expect(await ok.json()).toMatchObject({ amount: 1000, currency: 'eur' });
  });

  it('refuses a JSON body where Stripe takes a form', async () => {
    await refused(
      fake,
      await stripe('/v1/customers', { body: JSON.stringify({ email: 'a@b.c' }), contentType: 'application/json' }),
      'content-type',
      /takes application\/x-www-form-urlencoded, got `application\/json`/,
    );
  });

  it('answers a valid request with no handler 501 and counts it', async () => {
    await refused(fake, await stripe('/v1/customers/cus_1', { method: 'DELETE' }), 'unhandled', /DeleteCustomersCustomer .*no handler/);
  });

  it('assertNoViolations throws with every violation listed, then starts clean', async () => {
    await stripe('/v1/nowhere');
    await stripe('/v1/payment_intents', { body: form({ currency: 'eur' }) });
    expect(fake.violations).toHaveLength(2);
    expect(() => fake.assertNoViolations()).toThrow(
      /2 fake API contract violations[\s\S]*\[unknown-path\] GET \/v1\/nowhere[\s\S]*\[invalid-body\] POST \/v1\/payment_intents: body is missing the required field `amount`/,
    );
    expect(() => fake.assertNoViolations()).not.toThrow();
  });

  it('reset() forgets requests and violations, and the contract is parsed once per file', async () => {
    await stripe('/v1/nowhere');
    fake.reset();
    expect(fake.requests.requests).toEqual([]);
    expect(fake.violations).toEqual([]);
    expect(loadContract(STRIPE)).toBe(fake.contract);
    expect(() => fake.route('GET /v1/no/such/route', (_q, res) => res.empty())).toThrow(/no operation `GET \/v1\/no\/such\/route`/);
  });
});

describe('Slack (Swagger 2.0, form or JSON, token in the Authorization header)', () => {
  let fake: FakeApi;
  const slack = (method: string, body: string | undefined, opts: { type?: string; token?: string | null; http?: string; query?: string } = {}) =>
    fetch(`${fake.url}/api/${method}${opts.query ? `?${opts.query}` : ''}`, {
      method: opts.http ?? 'POST',
      headers: {
        ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? 'xoxb-test'}` }),
        ...(body === undefined ? {} : { 'content-type': opts.type ?? 'application/x-www-form-urlencoded' }),
      },
      body,
    });

  beforeAll(async () => {
    fake = await startFakeApi({
      contract: SLACK,
      routes: {
        chat_postMessage: (req, res) => res.json({ ok: true, channel: req.body.channel, ts: '1700000000.000100', message: { text: req.body.text } }),
        'GET /conversations.history': (req, res) => res.json({ ok: true, messages: [], has_more: false, channel: (req.body ?? req.query).channel }),
        files_getUploadURLExternal: (_req, res) => res.json({ ok: true, upload_url: 'http://127.0.0.1:1/upload', file_id: 'F1' }),
      },
      // The 2021 document lacks the current upload methods: the current API wins.
      extraOperations: [
        {
          id: 'files_getUploadURLExternal',
          method: 'POST',
          path: '/api/files.getUploadURLExternal',
          contentTypes: ['application/x-www-form-urlencoded'],
          params: [
            { name: 'filename', in: 'formData', required: true, schema: { type: 'string' } },
            { name: 'length', in: 'formData', required: true, schema: { type: 'integer' } },
          ],
        },
      ],
    });
  });
  afterEach(() => fake.assertNoViolations());
  afterAll(() => fake.close());

  it('takes a form post and a JSON post, with the token as a bearer header', async () => {
    const r = await slack('chat.postMessage', form({ channel: 'C123', text: 'hello', mrkdwn: 'true', unfurl_links: 'false' }));
    expect(await r.json()).toMatchObject({ ok: true, channel: 'C123', message: { text: 'hello' } });
    const j = await slack('chat.postMessage', JSON.stringify({ channel: 'C123', text: 'hi', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] }), {
      type: 'application/json; charset=utf-8',
    });
    expect(await j.json()).toMatchObject({ ok: true });
    expect(fake.calls('chat_postMessage').map((h) => h.headers.authorization)).toEqual(['Bearer xoxb-test', 'Bearer xoxb-test']);
    expect(fake.calls('chat_postMessage')[1].body).toMatchObject({ blocks: [{ type: 'section' }] });
  });

  it('accepts a GET method posted as a form, the way @slack/web-api calls every method', async () => {
    const r = await slack('conversations.history', form({ channel: 'C123', limit: '50' }));
    expect(await r.json()).toMatchObject({ ok: true, channel: 'C123' });
    const g = await slack('conversations.history', undefined, { http: 'GET', query: 'channel=C9&limit=5' });
    expect(await g.json()).toMatchObject({ ok: true, channel: 'C9' });
  });

  it('accepts an operation added for the current API', async () => {
    const r = await slack('files.getUploadURLExternal', form({ filename: 'a.txt', length: '12' }));
    expect(await r.json()).toMatchObject({ ok: true, file_id: 'F1' });
    await refused(fake, await slack('files.getUploadURLExternal', form({ filename: 'a.txt' })), 'missing-parameter', /`length`/);
  });

  it('refuses an unknown method and a wrong HTTP method', async () => {
    await refused(fake, await slack('chat.postMessages', form({ channel: 'C1', text: 'x' })), 'unknown-path', /\/api\/chat\.postMessages/);
    await refused(fake, await slack('chat.postMessage', form({ channel: 'C1', text: 'x' }), { http: 'PUT' }), 'wrong-method');
  });

  it('refuses a missing required argument and a missing token', async () => {
    await refused(fake, await slack('chat.postMessage', form({ text: 'no channel' })), 'missing-parameter', /`channel`/);
    await refused(fake, await slack('chat.postMessage', form({ channel: 'C1', text: 'x' }), { token: null }), 'missing-parameter', /token/);
    // the token as a form argument is what older clients send: accepted
    const r = await slack('chat.postMessage', form({ token: 'xoxb-form', channel: 'C1', text: 'x' }), { token: null });
    expect(r.status).toBe(200);
  });

  it('refuses an argument of the wrong type', async () => {
    await refused(fake, await slack('conversations.history', form({ channel: 'C1', limit: 'lots' })), 'invalid-parameter', /`limit` must be integer/);
    await refused(fake, await slack('chat.postMessage', form({ channel: 'C1', text: 'x', mrkdwn: 'perhaps' })), 'invalid-parameter', /`mrkdwn` must be boolean/);
  });

  it('refuses a content type the method does not take', async () => {
    await refused(fake, await slack('chat.postMessage', 'channel=C1&text=x', { type: 'text/plain' }), 'content-type', /got `text\/plain`/);
  });
});

describe('Google (discovery documents: Calendar, Sheets, Drive uploads)', () => {
  let calendar: FakeApi;
  let sheets: FakeApi;
  let drive: FakeApi;
  const events: Record<string, unknown>[] = [];
  const google = (fake: FakeApi, path: string, init: { method?: string; json?: unknown; body?: string; type?: string } = {}) =>
    fetch(`${fake.url}${path}${path.includes('?') ? '&' : '?'}prettyPrint=false&alt=json`, {
      method: init.method ?? (init.json === undefined && init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: 'Bearer ya29.test',
        'x-goog-api-client': 'gdcl/7.0.0 gl-node/24.0.0',
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : init.type ? { 'content-type': init.type } : {}),
      },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });

  beforeAll(async () => {
    calendar = await startFakeApi({
      contract: CALENDAR,
      routes: {
        'calendar.events.insert': (req, res) => {
          const e = { kind: 'calendar#event', id: `ev${events.length + 1}`, calendar: req.params.calendarId, ...req.body };
          events.push(e);
          return res.json(e);
        },
        'calendar.events.list': (_req, res) => res.json({ kind: 'calendar#events', items: events }),
      },
    });
    sheets = await startFakeApi({
      contract: SHEETS,
      routes: {
        'sheets.spreadsheets.values.get': (req, res) => res.json({ range: req.params.range, majorDimension: 'ROWS', values: [['a', 'b']] }),
        'POST /v4/spreadsheets/{spreadsheetId}/values/{range}:append': (req, res) =>
          res.json({ spreadsheetId: req.params.spreadsheetId, updates: { updatedRange: req.params.range, updatedRows: req.body.values.length } }),
      },
    });
    drive = await startFakeApi({
      contract: DRIVE,
      routes: { 'drive.files.create': (req, res) => res.json({ kind: 'drive#file', id: 'f1', name: req.upload ? req.body.metadata.name : req.body.name }) },
    });
  });
  afterEach(() => {
    for (const f of [calendar, sheets, drive]) f.assertNoViolations();
  });
  afterAll(async () => {
    await Promise.all([calendar, sheets, drive].map((f) => f.close()));
  });

  it('serves servicePath + path with the global parameters, and decodes path parameters', async () => {
    const r = await google(calendar, '/calendar/v3/calendars/ada%40example.com/events?sendUpdates=none&conferenceDataVersion=1', {
      json: { summary: 'Review', start: { dateTime: '2026-05-01T10:00:00Z' }, end: { dateTime: '2026-05-01T11:00:00Z' }, attendees: [{ email: 'bob@example.com' }] },
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: 'ev1', calendar: 'ada@example.com', summary: 'Review' });
    const hit = calendar.requests.last()!;
    expect(hit).toMatchObject({ operation: 'calendar.events.insert', query: { sendUpdates: 'none', conferenceDataVersion: '1', prettyPrint: 'false', alt: 'json' } });
    expect(hit.headers.authorization).toBe('Bearer ya29.test');
    const list = await google(calendar, '/calendar/v3/calendars/primary/events?maxResults=10&timeMin=2026-01-01T00:00:00Z&eventTypes=default&eventTypes=focusTime');
    expect((await json(list)).items).toHaveLength(1);
  });

  it('tells Sheets operations apart on one path (values/{range} and values/{range}:append)', async () => {
    const g = await google(sheets, '/v4/spreadsheets/s1/values/Sheet1!A1%3AB2?majorDimension=ROWS');
    expect(await g.json()).toMatchObject({ range: 'Sheet1!A1:B2' });
    const a = await google(sheets, '/v4/spreadsheets/s1/values/Sheet1!A1:append?valueInputOption=RAW', { json: { values: [['x', 1]] } });
    expect(await a.json()).toMatchObject({ spreadsheetId: 's1', updates: { updatedRange: 'Sheet1!A1', updatedRows: 1 } });
    expect(sheets.requests.requests.map((h) => h.operation)).toEqual(['sheets.spreadsheets.values.get', 'sheets.spreadsheets.values.append']);
  });

  it('takes a multipart upload on the upload path and checks its metadata', async () => {
    const boundary = 'b0undary';
    const multipart = (meta: unknown) =>
      `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(meta)}\r\n--${boundary}\r\ncontent-type: text/plain\r\n\r\nfile body\r\n--${boundary}--`;
    const up = await google(drive, '/upload/drive/v3/files?uploadType=multipart&fields=id%2Cname', {
      body: multipart({ name: 'notes.txt', parents: ['root'] }),
      type: `multipart/related; boundary=${boundary}`,
    });
    expect(await up.json()).toMatchObject({ id: 'f1', name: 'notes.txt' });
    expect(drive.requests.last()!.text).toContain('file body');
    await refused(drive, await google(drive, '/upload/drive/v3/files', { body: 'bytes', type: 'text/plain' }), 'missing-parameter', /uploadType/);
    await refused(
      drive,
      await google(drive, '/upload/drive/v3/files?uploadType=multipart', { body: multipart({ name: 7 }), type: `multipart/related; boundary=${boundary}` }),
      'invalid-body',
      /`name` must be string/,
    );
    const meta = await google(drive, '/drive/v3/files', { json: { name: 'folder', mimeType: 'application/vnd.google-apps.folder' } });
    expect(await meta.json()).toMatchObject({ name: 'folder' });
  });

  it('refuses an unknown path and a wrong method', async () => {
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/evnts'), 'unknown-path');
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events', { method: 'PATCH', json: {} }), 'wrong-method', /PATCH is not allowed/);
  });

  it('refuses a missing required query parameter and a missing path parameter', async () => {
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events/ev1/move', { method: 'POST' }), 'missing-parameter', /query parameter `destination`/);
    await refused(calendar, await google(calendar, '/calendar/v3/calendars//events'), 'missing-parameter', /`calendarId`/);
  });

  it('refuses a query parameter outside its enum or type, and an unknown one', async () => {
    await refused(
      calendar,
      await google(calendar, '/calendar/v3/calendars/primary/events?sendUpdates=everyone', { json: { summary: 'x' } }),
      'invalid-parameter',
      /`sendUpdates` must be equal to one of the allowed values/,
    );
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events?maxResults=ten'), 'invalid-parameter', /`maxResults` must be integer/);
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events?colour=red'), 'unknown-parameter', /`colour`/);
  });

  it('refuses a body field of the wrong type and an unknown field (Google answers "Unknown name")', async () => {
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events', { json: { summary: 5 } }), 'invalid-body', /`summary` must be string/);
    await refused(
      calendar,
      await google(calendar, '/calendar/v3/calendars/primary/events', { json: { start: { dateTime: '2026-01-01T00:00:00Z', zone: 'UTC' } } }),
      'invalid-body',
      /`start` has an unknown field `zone`/,
    );
    await refused(calendar, await google(calendar, '/calendar/v3/calendars/primary/events', { body: '{"summary":', type: 'application/json' }), 'invalid-body', /not valid JSON/);
  });

  it('refuses a form body where Google takes JSON, and a body on a method that takes none', async () => {
    await refused(
      calendar,
      await google(calendar, '/calendar/v3/calendars/primary/events', { body: 'summary=x', type: 'application/x-www-form-urlencoded' }),
      'content-type',
      /takes application\/json/,
    );
    await refused(
      calendar,
      await google(calendar, '/calendar/v3/calendars/primary/events/ev1', { method: 'DELETE', json: { x: 1 } }),
      'content-type',
      /calendar\.events\.delete takes no request body/,
    );
  });
});

describe('the request recorder', () => {
  it('decodes bracket notation like Stripe and qs write it', () => {
    expect(decodeForm('a=1&a=2&m[k]=v&m[n][d]=w&e[]=x&e[]=y&i[0][p]=p0&i[1][p]=p1&s=')).toEqual({ a: ['1', '2'], m: { k: 'v', n: { d: 'w' } }, e: ['x', 'y'], i: [{ p: 'p0' }, { p: 'p1' }], s: '' });
  });

  it('records every request of a plain server, with its body, and the responses the client abandoned', async () => {
    const srv = await startRecordingServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    try {
      await fetch(`${srv.url}/a?x=1&x=2`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"a":1}' });
      const ac = new AbortController();
      const hang = fetch(`${srv.url}/hang`, { signal: ac.signal }).catch(() => 'aborted');
      await new Promise((r) => setTimeout(r, 50));
      ac.abort();
      expect(await hang).toBe('aborted');
      await new Promise((r) => setTimeout(r, 50));
      expect(srv.hits[0]).toMatchObject({ method: 'POST', url: '/a?x=1&x=2', path: '/a', query: { x: ['1', '2'] }, text: '{"a":1}', body: { a: 1 } });
      expect(srv.hits[0].headers.authorization).toBe('Bearer t');
      expect(srv.recorder.urls()).toEqual(['/a?x=1&x=2', '/hang']);
      expect(srv.closed).toEqual(['/hang']);
      srv.hits.length = 0;
      expect(srv.recorder.requests).toHaveLength(0);
    } finally {
      await srv.close();
    }
  });

  it('filters by method, path and operation', () => {
    const rec = createRecorder();
    rec.requests.push({ method: 'GET', url: '/v1/x', path: '/v1/x', query: {}, headers: {}, rawBody: Buffer.alloc(0), text: '', body: undefined, operation: 'GetX' });
    expect(rec.filter({ method: 'get', path: /^\/v1\// })).toHaveLength(1);
    expect(rec.filter({ operation: 'PostX' })).toHaveLength(0);
  });
});

describe('builtBin and the typed ok()', () => {
  it('names the missing build and how to make it', () => {
    expect(() => builtBin('@bizmcp/nothing-here')).toThrow(
      /packages\/nothing-here\/dist\/index\.js is missing: build first \(npm test builds every package; or node scripts\/pnpm\.mjs --filter @bizmcp\/nothing-here build\)/,
    );
  });

  it('infers the result of ok(tool, args) from the tool value, and keeps ok(name, args)', async () => {
    const echo = { name: 'echo', input: z.object({ text: z.string() }), output: z.object({ text: z.string() }) };
    const s = await connectInProcess(echoServer);
    try {
      const typed = await s.ok(echo, { text: 'hi' });
      expectTypeOf(typed).toEqualTypeOf<{ text: string }>();
      expect(typed).toEqual({ text: 'hi' });
      expect(await s.ok('echo', { text: 'yo' })).toEqual({ text: 'yo' });
      // @ts-expect-error: the arguments are checked against the tool's input schema
      await expect(s.ok(echo, { text: 1 })).rejects.toThrow(/echo failed/);
    } finally {
      await s.close();
    }
  });
});
