// Demo plan: a tiny local JSON API with an OpenAPI document, started inside the demo.
import { createServer } from 'node:http';

const invoices = [
  { id: 'INV-001', customer: 'Globex', amount: 1200, status: 'paid' },
  { id: 'INV-002', customer: 'Initech', amount: 310.5, status: 'open' },
];
const spec = {
  openapi: '3.0.3',
  info: { title: 'Invoices', version: '1' },
  paths: {
    '/invoices': {
      get: {
        operationId: 'listInvoices',
        summary: 'List invoices',
        parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['paid', 'open'] } }],
        responses: { 200: { description: 'ok' } },
      },
    },
    '/invoices/{id}': {
      get: { operationId: 'getInvoice', summary: 'One invoice', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } },
    },
  },
};

export default {
  async prepare() {
    const server = createServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      const send = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (u.pathname === '/api/openapi.json') return send(200, spec);
      if (u.pathname === '/api/invoices')
        return send(
          200,
          invoices.filter((i) => !u.searchParams.get('status') || i.status === u.searchParams.get('status')),
        );
      const m = /^\/api\/invoices\/([^/]+)$/.exec(u.pathname);
      if (m) return send(invoices.some((i) => i.id === m[1]) ? 200 : 404, invoices.find((i) => i.id === m[1]) ?? { error: 'not found' });
      send(404, { error: 'not found' });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}/api`;
    return {
      note: `against a local invoices API at ${base}`,
      env: { API_BASE_URL: base, OPENAPI_SPEC: `${base}/openapi.json` },
      calls: [
        { name: 'api_get', arguments: { endpoint: '/invoices', query: { status: 'open' } } },
        { name: 'list_endpoints' },
        { name: 'call_endpoint', arguments: { operation_id: 'getInvoice', path_params: { id: 'INV-001' } } },
        { name: 'call_endpoint', arguments: { operation_id: 'listInvoices', query: { status: 'late' } }, expectError: true },
        { name: 'api_get', arguments: { endpoint: 'http://169.254.169.254/latest/meta-data/' }, expectError: true },
      ],
      cleanup: () => new Promise((r) => server.close(r)),
    };
  },
};
