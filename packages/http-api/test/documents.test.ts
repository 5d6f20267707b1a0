// PDF and Office responses come back as their text (through core's documents module); document_text
// false keeps the binary summary; a body that only claims to be a document stays binary, said why.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as corpus from '../../core/test/documents-corpus.js';
import server from '../src/server.js';

let http: Server;
let s: InProcess;
const bodies: Record<string, [string, Uint8Array]> = {};

beforeAll(async () => {
  bodies['/v1/invoice'] = ['application/pdf', await corpus.pdf([['Invoice 2026-001', 'Total: 1 250.00 EUR'], ['Terms: 30 days']])];
  bodies['/v1/export'] = ['application/octet-stream', await corpus.xlsx()];
  bodies['/v1/fake.pdf'] = ['application/pdf', Buffer.from([0, 1, 2, 3, 0, 9])];
  http = createServer((req, res) => {
    const b = bodies[req.url ?? ''];
    if (!b) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': b[0] }).end(Buffer.from(b[1]));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  s = await connectInProcess(server, { env: { API_BASE_URL: `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1` } });
});
afterAll(async () => {
  await s?.close();
  http?.close();
});

describe('document responses', () => {
  it('a PDF or workbook response is returned as its text', async () => {
    const pdf = await s.ok('api_get', { endpoint: '/invoice' });
    expect(pdf.binary).toBeUndefined();
    expect(pdf.document).toMatchObject({ type: 'pdf', pages: 2 });
    expect(pdf.body).toContain('--- Page 1 of 2 ---\nInvoice 2026-001\nTotal: 1 250.00 EUR');
    const xlsx = await s.ok('api_get', { endpoint: '/export' });
    expect(xlsx.document).toMatchObject({ type: 'xlsx', dropped: { 'hidden sheets': 1 } });
    expect(xlsx.body).toContain('| 2 | Widget | 9.5 | 3 |');
  });

  it('document_text: false keeps the binary summary; a broken document stays binary and says why', async () => {
    const raw = await s.ok('api_get', { endpoint: '/invoice', document_text: false });
    expect(raw.body).toBeUndefined();
    expect(raw.binary.bytes).toBe(bodies['/v1/invoice'][1].length);
    const fake = await s.call('api_get', { endpoint: '/fake.pdf' });
    expect(fake.isError).toBeFalsy();
    expect(textOf(fake)).toMatch(/binary body: 6 bytes.*not read as a document: Not a document/);
  });
});
