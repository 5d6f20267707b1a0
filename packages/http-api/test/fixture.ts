// A local REST API for the tests, recording every request it receives (the oracle), plus a second
// server standing for "somewhere else" that must never be reached.
import { gzipSync } from 'node:zlib';
import { startRecordingServer, type RecordingServer } from '@bizmcp/core/testing';

/** `hits`: every request received; `closed`: the URLs whose response the client abandoned. */
export type Fixture = RecordingServer;

export const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        tags: ['pets'],
        summary: 'List pets',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } }],
        responses: { '200': { description: 'ok' } },
      },
      post: {
        operationId: 'createPet',
        tags: ['pets'],
        summary: 'Create a pet',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewPet' } } } },
        responses: { '201': { description: 'created' } },
      },
    },
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
      get: { operationId: 'getPet', tags: ['pets'], summary: 'One pet', responses: { '200': { description: 'ok' }, '404': { description: 'missing' } } },
      delete: { operationId: 'deletePet', tags: ['admin'], responses: { '204': { description: 'gone' } } },
    },
  },
  components: {
    schemas: {
      NewPet: {
        type: 'object',
        required: ['name', 'species'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, species: { type: 'string', enum: ['cat', 'dog'] }, age: { type: 'integer', minimum: 0 } },
      },
    },
  },
};

const bomb = gzipSync(Buffer.alloc(30 * 1024 * 1024));

export async function startApi(): Promise<Fixture> {
  const counters = new Map<string, number>();
  return startRecordingServer((req, res, { text: body }) => {
    const u = new URL(req.url!, 'http://x');
    const json = (status: number, v: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify(v));
    };
    const p = u.pathname;
    if (!p.startsWith('/v1/') && p !== '/v1') return json(404, { error: 'outside the API' });
    const route = p.slice(3);
    if (route === '/items') {
      if (req.method === 'GET')
        return json(
          200,
          [
            { id: 1, name: 'one' },
            { id: 2, name: 'two' },
          ],
          { link: '</v1/items?page=2>; rel="next"', 'x-ratelimit-remaining': '99', 'x-secret-internal': 'no' },
        );
      if (req.method === 'POST') return json(201, { created: JSON.parse(body || 'null') }, { location: '/v1/items/3' });
      if (req.method === 'HEAD') return json(200, {});
    }
    if (route.startsWith('/items/')) {
      if (req.method === 'PUT' || req.method === 'PATCH') return json(200, { method: req.method, body: JSON.parse(body || 'null') });
      if (req.method === 'DELETE') {
        res.writeHead(204);
        return res.end();
      }
      return json(200, { id: route.split('/')[2], query: Object.fromEntries(u.searchParams) });
    }
    if (route === '/echo') return json(200, { headers: req.headers, query: Object.fromEntries(u.searchParams), body });
    if (route === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('plain text body');
    }
    if (route === '/binary') {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(Buffer.alloc(5000, 7));
    }
    if (route === '/huge')
      return json(
        200,
        Array.from({ length: 20_000 }, (_, i) => ({ i, text: 'row ' + i })),
      );
    if (route === '/bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return res.end(bomb);
    }
    if (route === '/slow') {
      return setTimeout(() => json(200, { late: true }), 5000);
    }
    if (route === '/limited') {
      const key = `${req.method} ${u.searchParams.get('k')}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      if (n === 1) return json(429, { error: 'slow down' }, { 'retry-after': '1' });
      return json(200, { attempt: n });
    }
    if (route === '/unavailable') return json(503, { error: 'down' }, { 'retry-after': '0' });
    if (route === '/redirect') {
      res.writeHead(302, { location: u.searchParams.get('to')! });
      return res.end();
    }
    if (route === '/loop') {
      res.writeHead(302, { location: '/v1/loop' });
      return res.end();
    }
    if (route === '/openapi.json') return json(200, SPEC);
    if (route === '/pets' && req.method === 'POST') return json(201, { id: 7, ...JSON.parse(body) });
    if (route === '/pets') return json(200, [{ id: 7, name: 'Tom' }]);
    if (route.startsWith('/pets/')) return json(200, { id: Number(route.split('/')[2]), name: 'Tom' });
    return json(404, { error: 'not found', route });
  });
}
