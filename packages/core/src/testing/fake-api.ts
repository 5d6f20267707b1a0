// A local stand-in for a SaaS API: an HTTP server on 127.0.0.1 whose every request is recorded and
// checked against the API's own contract. The test author writes the (stateful) handlers by
// operation; a request the real API would reject fails the test that sent it: it is answered with
// an HTTP 400 whose message starts with VIOLATION_MARKER, and collected in `violations` for
// `assertNoViolations()` (call it in `afterEach`).
import type { IncomingHttpHeaders } from 'node:http';
import { loadContract, type Contract, type ContractOperation, type ExtraOperation, type Violation } from './contract.js';
import { createRecorder, startRecordingServer, type RecordedRequest, type Recorder } from './recorder.js';

export type { Violation } from './contract.js';

export const VIOLATION_MARKER = 'fake API contract violation';
/** Header set on every answer to a request that broke the contract (its value: the violation kinds). */
export const VIOLATION_HEADER = 'x-fake-api-violation';

export interface FakeRequest {
  method: string;
  /** Path without the query, as received. */
  path: string;
  /** Path parameters by their contract names, percent-decoded. */
  params: Record<string, string>;
  /** Query decoded (bracket notation expanded, repeated names as arrays). */
  query: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /**
   * Body decoded: JSON, form (bracket notation expanded), or the text. Slack: the method's
   * arguments merged from the query and the body. Discovery multipart uploads: `{metadata, text}`.
   */
  body: any;
  rawBody: Buffer;
  /** The contract operation id (`PostCustomers`, `chat_postMessage`, `calendar.events.insert`). */
  operation: string;
  /** Discovery documents: the request came to a media upload path. */
  upload: boolean;
}

export interface FakeResponse {
  status?: number;
  /** An object or array is sent as JSON; a string as text; a Buffer as bytes. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseHelpers {
  json(body: unknown, status?: number, headers?: Record<string, string>): FakeResponse;
  text(text: string, status?: number, headers?: Record<string, string>): FakeResponse;
  empty(status?: number, headers?: Record<string, string>): FakeResponse;
}

export type FakeHandler = (req: FakeRequest, res: ResponseHelpers) => FakeResponse | Promise<FakeResponse>;

export interface FakeApiOptions {
  /** A contract file (read once per test file), a parsed document, or a loaded contract. */
  contract: string | object | Contract;
  /**
   * Handlers by operation: operationId (`PostCustomers`), discovery id (`calendar.events.insert`), or
   * `METHOD /path/{param}` as written in the contract or as mounted (`GET /v1/customers/{customer}`).
   */
  routes?: Record<string, FakeHandler>;
  /** Operations the document lacks (the current API wins over an old document). */
  extraOperations?: ExtraOperation[];
  /** Slack's conventions are detected from the document's host; 'none' turns them off. */
  flavour?: 'slack' | 'none';
}

export interface FakeApi {
  /** Base URL to point the SDK at (`http://127.0.0.1:PORT`); the contract's paths sit under it as the SDK writes them. */
  url: string;
  port: number;
  contract: Contract;
  /** Every request received, with `operation` and `status` filled in. */
  requests: Recorder;
  /** Contract violations and unhandled requests since the last reset. */
  violations: Violation[];
  /** The requests that matched an operation (shorthand for `requests.filter({ operation })`). */
  calls(operation: string): RecordedRequest[];
  /** Adds or replaces a handler. */
  route(operation: string, handler: FakeHandler): void;
  /** Throws one error listing every violation, and forgets them (so one failure does not cascade). */
  assertNoViolations(): void;
  /** Returns and forgets the violations (for tests that provoke them on purpose). */
  takeViolations(): Violation[];
  /** Forgets requests and violations; handlers and their state stay. */
  reset(): void;
  close(): Promise<void>;
}

const helpers: ResponseHelpers = {
  json: (body, status = 200, headers = {}) => ({ status, body: body ?? null, headers: { 'content-type': 'application/json', ...headers } }),
  text: (text, status = 200, headers = {}) => ({ status, body: text, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } }),
  empty: (status = 204, headers = {}) => ({ status, headers }),
};

export async function startFakeApi(opts: FakeApiOptions): Promise<FakeApi> {
  const contract = isContract(opts.contract)
    ? opts.extraOperations?.length
      ? opts.contract.extend(opts.extraOperations)
      : opts.contract
    : loadContract(opts.contract, { flavour: opts.flavour, extraOperations: opts.extraOperations });
  const handlers = new Map<ContractOperation, FakeHandler>();
  const route = (key: string, handler: FakeHandler) => {
    const op = contract.operation(key);
    if (!op) throw new Error(`startFakeApi: no operation \`${key}\` in the contract (${contract.title}); use an operationId or "METHOD /path/{param}"`);
    handlers.set(op, handler);
  };
  for (const [key, h] of Object.entries(opts.routes ?? {})) route(key, h);

  const violations: Violation[] = [];
  const recorder = createRecorder();
  const srv = await startRecordingServer(
    async (req, res, hit) => {
      const q = hit.url.indexOf('?');
      const { match, violations: found } = contract.check({ method: hit.method, path: hit.path, search: q < 0 ? '' : hit.url.slice(q + 1), headers: hit.headers, text: hit.text });
      if (match) hit.operation = match.operation.id;
      const send = (r: FakeResponse) => {
        const status = r.status ?? 200;
        hit.status = status;
        const headers = { ...(r.headers ?? {}) };
        let payload: Buffer | string = '';
        if (Buffer.isBuffer(r.body)) payload = r.body;
        else if (typeof r.body === 'string') payload = r.body;
        else if (r.body !== undefined) {
          payload = JSON.stringify(r.body);
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
        }
        res.writeHead(status, headers);
        res.end(payload);
      };
      const fail = (list: Violation[], status: number) => {
        violations.push(...list);
        const message = `${VIOLATION_MARKER}: ${list.map((v) => v.message).join('; ')}`;
        send({
          status,
          headers: { [VIOLATION_HEADER]: [...new Set(list.map((v) => v.kind))].join(',') },
          // One shape the SDKs surface: Stripe and Google read error.message, Slack reads error as a code.
          body: { ok: false, error: { message, type: 'fake_api_contract_violation', code: status, status: 'INVALID_ARGUMENT', violations: list } },
        });
      };
      const where = { method: hit.method, url: hit.url };
      if (found.length > 0)
        return fail(
          found.map((v) => ({ ...where, ...v })),
          400,
        );
      const op = match!.operation;
      const handler = handlers.get(op);
      if (!handler) {
        return fail([{ ...where, kind: 'unhandled', operation: op.id, message: `${op.id} (${op.method} ${op.mounts[0]}) is valid but the fake has no handler for it: add a route "${op.id}"` }], 501);
      }
      let out: FakeResponse;
      try {
        out = await handler(
          { method: hit.method, path: hit.path, params: match!.params, query: match!.query, headers: hit.headers, body: match!.body, rawBody: hit.rawBody, operation: op.id, upload: match!.upload },
          helpers,
        );
      } catch (e) {
        return fail([{ ...where, kind: 'handler-error', operation: op.id, message: `the handler of ${op.id} threw: ${(e as Error).stack ?? e}` }], 500);
      }
      send(out ?? {});
    },
    { recorder },
  );

  return {
    url: srv.url,
    port: srv.port,
    contract,
    requests: recorder,
    violations,
    calls: (operation) => recorder.filter({ operation }),
    route,
    assertNoViolations() {
      if (violations.length === 0) return;
      const list = violations.splice(0);
      throw new Error(`${list.length} ${VIOLATION_MARKER}${list.length > 1 ? 's' : ''} (${contract.title}):\n${list.map((v) => `- [${v.kind}] ${v.method} ${v.url}: ${v.message}`).join('\n')}`);
    },
    takeViolations: () => violations.splice(0),
    reset() {
      recorder.clear();
      violations.length = 0;
    },
    close: () => srv.close(),
  };
}

function isContract(c: unknown): c is Contract {
  return typeof c === 'object' && c !== null && typeof (c as Contract).check === 'function' && Array.isArray((c as Contract).operations);
}
