// The records, schema and query toolsets through a real MCP client, the same table against both
// providers (soql_query: Salesforce only), with the fakes' state as the oracle.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type Harness, hubspotHarness, salesforceHarness } from './harness.js';

describe.each([
  ['hubspot', hubspotHarness],
  ['salesforce', salesforceHarness],
] as const)('%s', (name, start) => {
  let h: Harness;
  let s: InProcess;
  const P = (hs: string, sf: string) => (name === 'hubspot' ? hs : sf);
  beforeAll(async () => {
    h = await start();
    s = await connectInProcess(server, { env: h.env, argv: ['--allow-delete'] });
  });
  afterAll(async () => {
    await s.close();
    await h.close();
  });
  afterEach(() => h.assertNoViolations());

  it('get_record and update_record on any object type', async () => {
    const id = h.addCompany('Record Co', 'record.example');
    const got = await s.ok('get_record', { object_type: 'companies', id, properties: [P('name', 'Name')] });
    expect(got.record.properties[P('name', 'Name')]).toBe('Record Co');
    await s.ok('update_record', { object_type: P('companies', 'Account'), id, properties: { [P('city', 'BillingCity')]: 'Lyon' } });
    const again = await s.ok('get_record', { object_type: 'companies', id, properties: [P('city', 'BillingCity')] });
    expect(again.record.properties[P('city', 'BillingCity')]).toBe('Lyon');
  });

  it('search_records with filters, sorts and a cursor over 1 000 records reads each once', async () => {
    for (let i = 0; i < 1000; i++) h.addContact(`bulk${String(i).padStart(4, '0')}@bulk.example`, { [P('jobtitle', 'Title')]: i % 2 ? 'odd' : 'even' });
    const ids = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await s.ok('search_records', {
        object_type: 'contacts',
        filters: [{ property: P('email', 'Email'), operator: 'contains', value: 'bulk.example' }],
        sorts: [{ property: P('email', 'Email'), direction: 'asc' }],
        properties: [P('email', 'Email')],
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      for (const rec of r.records) ids.add(rec.id);
      cursor = r.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(ids.size).toBe(1000);
    expect(pages).toBe(5);
    const odd = await s.ok('search_records', { object_type: 'contacts', filters: [{ property: P('jobtitle', 'Title'), operator: 'eq', value: 'odd' }], limit: 1 });
    expect(odd.total).toBe(500);
  });

  it('create_record and archive_record (with --allow-delete)', async () => {
    const c = await s.ok('create_record', { object_type: 'contacts', properties: { [P('email', 'Email')]: 'new@rec.example', [P('lastname', 'LastName')]: 'New' } });
    expect(h.contactsWith('new@rec.example')).toBe(1);
    await s.ok('archive_record', { object_type: 'contacts', id: c.record.id });
    expect(h.contactsWith('new@rec.example')).toBe(0);
  });

  it('create_company is an upsert by domain', async () => {
    const a = await s.ok('create_company', { name: 'Upsert Co', domain: 'upsert.example' });
    const b = await s.ok('create_company', { name: 'Upsert Co SA', domain: 'UPSERT.example', city: 'Paris' });
    expect([a.action, b.action]).toEqual(['created', 'updated']);
    expect(b.company.id).toBe(a.company.id);
  });

  it('create_deal in a checked stage, linked to a company, an upsert by external id', async () => {
    const company = h.addCompany('Deal Owner Co', 'dealowner.example');
    const a = await s.ok('create_deal', { name: 'Ext deal', stage: h.stage.label, close_date: '2026-12-31', amount: 900, company_id: company, external_id: 'ERP-1' });
    const b = await s.ok('create_deal', { name: 'Ext deal', stage: h.stage.label, close_date: '2026-12-31', amount: 950, company_id: company, external_id: 'ERP-1' });
    expect([a.action, b.action]).toEqual(['created', 'updated']);
    expect(h.dealStage(a.deal.id)).toBe(h.stage.written);
    const linked = await s.ok('list_associations', { object_type: 'companies', id: company, to_type: 'deals' });
    expect(linked.associations.map((x: { id: string }) => x.id)).toContain(a.deal.id);
    const bad = await s.call('create_deal', { name: 'x', stage: h.stage.wrong, close_date: '2026-12-31' });
    expect(bad.isError).toBe(true);
  });

  it('associate_records and list_associations between a contact and a company', async () => {
    const contact = h.addContact('linked@assoc.example');
    const company = h.addCompany('Assoc Co', 'assoc.example');
    await s.ok('associate_records', { from_type: 'contacts', from_id: contact, to_type: 'companies', to_id: company });
    const r = await s.ok('list_associations', { object_type: 'companies', id: company, to_type: 'contacts' });
    expect(r.associations.map((x: { id: string }) => x.id)).toEqual([contact]);
  });

  it('describe_object gives types, picklist values and required fields; list_objects includes custom ones; list_owners pages', async () => {
    const d = await s.ok('describe_object', { object_type: 'deals' });
    const stage = d.fields.find((f: { name: string }) => f.name === P('dealstage', 'StageName'));
    expect(stage).toBeDefined();
    if (name === 'salesforce') {
      expect(stage.options.map((o: { value: string }) => o.value)).toContain('Closed Won');
      expect(d.fields.find((f: { name: string }) => f.name === 'CloseDate').required).toBe(true);
    }
    const objects = await s.ok('list_objects', { custom_only: true });
    expect(objects.objects.length).toBeGreaterThan(0);
    expect(objects.objects.every((o: { custom: boolean }) => o.custom)).toBe(true);
    const owners = await s.ok('list_owners', { limit: 1 });
    expect(owners.owners).toHaveLength(1);
  });

  it('soql_query exists only on Salesforce', async () => {
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names.includes('soql_query')).toBe(name === 'salesforce');
  });
});

describe('soql_query (Salesforce)', () => {
  let h: Awaited<ReturnType<typeof salesforceHarness>>;
  let s: InProcess;
  beforeAll(async () => {
    h = await salesforceHarness();
    s = await connectInProcess(server, { env: h.env });
    for (let i = 0; i < 450; i++) h.addCompany(`Soql ${String(i).padStart(3, '0')}`, `soql${i}.example`, { Industry: i % 3 ? 'Retail' : 'Finance' });
  });
  afterAll(async () => {
    await s.close();
    await h.close();
  });
  afterEach(() => h.assertNoViolations());

  it('runs a parsed SELECT, caps its LIMIT, and pages the rows with a cursor', async () => {
    const q = "select Id, Name from Account where Industry = 'Finance' and Name like 'Soql%' order by Name";
    const first = await s.ok('soql_query', { query: q, limit: 100 });
    expect(first.query).toBe("SELECT Id, Name FROM Account WHERE (Industry = 'Finance' AND Name LIKE 'Soql%') ORDER BY Name ASC LIMIT 2000");
    const ids = first.records.map((r: { id: string }) => r.id);
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await s.ok('soql_query', { query: q, limit: 100, cursor });
      ids.push(...next.records.map((r: { id: string }) => r.id));
      cursor = next.nextCursor;
    }
    expect(new Set(ids).size).toBe(150);
    const capped = await s.ok('soql_query', { query: 'SELECT Id FROM Account LIMIT 50000', limit: 10 });
    expect(capped.query).toMatch(/LIMIT 2000$/);
  });

  it('a cursor from another query is refused', async () => {
    const a = await s.ok('soql_query', { query: 'SELECT Id FROM Account', limit: 5 });
    const r = await s.call('soql_query', { query: 'SELECT Id, Name FROM Account', limit: 5, cursor: a.nextCursor });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/another query/);
  });
});
