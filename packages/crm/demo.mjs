// Demo plan: a small local stand-in for HubSpot's CRM API (contacts, companies, deals, notes, the
// deal pipelines, search with `after` paging), started inside the demo; the benchmark
// (bench/crm.mjs) uses it too. It is NOT HubSpot: the real tests use contract-checked fakes of
// HubSpot and Salesforce instead (test/fake-hubspot.ts, test/fake-salesforce.ts). It answers with
// the status codes @hubspot/api-client expects (201 for a create).
import { createServer } from 'node:http';

export const DEMO_TOKEN = 'pat-demo-00000000-0000-0000-0000-000000000000';

/** Starts the stand-in on 127.0.0.1 with `companies` seeded companies (Acme 0000 …). */
export async function startLocalHubSpot({ companies = 40 } = {}) {
  let seq = 3000;
  const store = { contacts: new Map(), companies: new Map(), deals: new Map(), notes: new Map() };
  const add = (type, properties, id = String(++seq)) => {
    const t = new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString();
    const rec = { id, properties: { hs_object_id: id, ...properties }, createdAt: t, updatedAt: t, archived: false };
    store[type].set(id, rec);
    return rec;
  };
  for (let i = 0; i < companies; i++) add('companies', { name: `Acme ${String(i).padStart(4, '0')}`, domain: `acme${i}.example`, industry: i % 2 ? 'Retail' : 'Software' }, String(10_000 + i));
  add('deals', { dealname: 'Acme renewal 2027', pipeline: 'default', dealstage: 'qualifiedtobuy', amount: '12000' }, '2001');
  const pipelines = [
    {
      id: 'default',
      label: 'Sales Pipeline',
      displayOrder: 0,
      archived: false,
      createdAt: '2025-01-01T00:00:00Z',
      updatedAt: '2025-01-01T00:00:00Z',
      stages: [
        ['appointmentscheduled', 'Appointment Scheduled', '0.2', 'false'],
        ['qualifiedtobuy', 'Qualified To Buy', '0.4', 'false'],
        ['contractsent', 'Contract Sent', '0.9', 'false'],
        ['closedwon', 'Closed Won', '1.0', 'true'],
        ['closedlost', 'Closed Lost', '0.0', 'true'],
      ].map(([id, label, probability, isClosed], i) => ({
        id,
        label,
        displayOrder: i,
        archived: false,
        createdAt: '2025-01-01T00:00:00Z',
        updatedAt: '2025-01-01T00:00:00Z',
        metadata: { probability, isClosed },
      })),
    },
  ];
  const view = (r, names) => {
    const properties = {};
    for (const n of names?.length ? names : Object.keys(r.properties)) if (n in r.properties) properties[n] = r.properties[n];
    return { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: false };
  };
  const matches = (r, f) => {
    const v = String(r.properties[f.propertyName] ?? '').toLowerCase();
    const want = String(f.value ?? '').toLowerCase();
    if (f.operator === 'EQ') return v === want;
    if (f.operator === 'CONTAINS_TOKEN') {
      const re = new RegExp(`^${want.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return [v, ...v.split(/[\s.@-]+/)].some((w) => re.test(w));
    }
    return true;
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const send = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-hubspot-ratelimit-daily': '250000', 'x-hubspot-ratelimit-daily-remaining': '249000' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${DEMO_TOKEN}`) return send(401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
      const url = new URL(req.url, 'http://x');
      const b = body ? JSON.parse(body) : {};
      let m;
      if (req.method === 'GET' && url.pathname === '/crm/v3/pipelines/deals') return send(200, { results: pipelines });
      if ((m = /^\/crm\/v3\/objects\/(\w+)\/search$/.exec(url.pathname)) && req.method === 'POST') {
        const filters = b.filterGroups?.[0]?.filters ?? [];
        const hits = [...(store[m[1]]?.values() ?? [])].filter((r) => filters.every((f) => matches(r, f)));
        const start = Number(b.after ?? 0);
        const limit = b.limit ?? 10;
        const next = start + limit < hits.length ? { paging: { next: { after: String(start + limit) } } } : {};
        return send(200, { total: hits.length, results: hits.slice(start, start + limit).map((r) => view(r, b.properties)), ...next });
      }
      if ((m = /^\/crm\/v3\/objects\/(\w+)$/.exec(url.pathname)) && req.method === 'POST') {
        if (m[1] === 'contacts' && [...store.contacts.values()].some((r) => r.properties.email === b.properties.email))
          return send(409, { status: 'error', message: 'Contact already exists.', category: 'CONFLICT' });
        return send(201, view(add(m[1], b.properties)));
      }
      if ((m = /^\/crm\/v3\/objects\/(\w+)\/([^/]+)$/.exec(url.pathname))) {
        const id = decodeURIComponent(m[2]);
        const byEmail = url.searchParams.get('idProperty') === 'email';
        const rec = byEmail ? [...store[m[1]].values()].find((r) => r.properties.email === id) : store[m[1]]?.get(id);
        if (!rec) return send(404, { status: 'error', message: 'Object not found.', category: 'OBJECT_NOT_FOUND' });
        if (req.method === 'GET')
          return send(
            200,
            view(
              rec,
              url.searchParams.getAll('properties').flatMap((p) => p.split(',')),
            ),
          );
        if (req.method === 'PATCH') {
          Object.assign(rec.properties, b.properties);
          return send(200, view(rec, Object.keys(b.properties)));
        }
      }
      send(404, { status: 'error', message: `No route ${req.method} ${url.pathname}`, category: 'OBJECT_NOT_FOUND' });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return { store, port, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

export default {
  async prepare() {
    const hs = await startLocalHubSpot();
    return {
      note: `HubSpot provider against a LOCAL STAND-IN at ${hs.url} (not HubSpot); the tests use contract-checked fakes of HubSpot and Salesforce`,
      env: { CRM_PROVIDER: 'hubspot', HUBSPOT_ACCESS_TOKEN: DEMO_TOKEN, HUBSPOT_BASE_URL: hs.url, CRM_MASK_PII: '1' },
      calls: [
        { name: 'get_pipeline' },
        { name: 'create_contact', arguments: { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' } },
        { name: 'create_contact', arguments: { email: 'ada@example.com', job_title: 'CTO' } },
        { name: 'update_deal', arguments: { deal_id: '2001', stage: 'Contract Sent', amount: 15000, close_date: '2027-03-31' } },
        { name: 'update_deal', arguments: { deal_id: '2001', stage: 'Shipped' }, expectError: true },
        { name: 'search_companies', arguments: { name: 'acme', limit: 3 } },
        { name: 'log_activity', arguments: { type: 'note', body: 'Renewal call went well; contract to follow.', deal_ids: ['2001'] } },
      ],
      cleanup: () => hs.close(),
    };
  },
};
