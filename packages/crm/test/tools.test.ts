// The tools through a real MCP client, with one table of cases run against both providers: the
// official SDK (@hubspot/api-client, jsforce) pointed at a stateful fake whose every request is
// checked against its contract, and the fake's state as the oracle.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type Harness, hubspotHarness, salesforceHarness } from './harness.js';

const errorText = (r: { content?: unknown }) => textOf(r as never);

describe.each([
  ['hubspot', hubspotHarness],
  ['salesforce', salesforceHarness],
] as const)('%s', (_name, start) => {
  let h: Harness;
  let s: InProcess;
  beforeAll(async () => {
    h = await start();
    s = await connectInProcess(server, { env: h.env });
  });
  afterAll(async () => {
    await s.close();
    await h.close();
  });
  afterEach(() => h.assertNoViolations());

  it('create_contact creates, then updates the same contact: a repeat never duplicates', async () => {
    const a = await s.ok('create_contact', { email: 'Dana@Example.com', first_name: 'Dana', last_name: 'Reyes' });
    expect(a.action).toBe('created');
    const b = await s.ok('create_contact', { email: 'dana@example.com', last_name: 'Reyes', job_title: 'CFO' });
    expect(b.action).toBe('updated');
    expect(b.contact.id).toBe(a.contact.id);
    const c = await s.ok('create_contact', { email: 'dana@example.com', last_name: 'Reyes', job_title: 'CFO' });
    expect(c.action).toBe('updated');
    expect(h.contactsWith('dana@example.com')).toBe(1);
    expect(Object.values(h.contact(a.contact.id) ?? {})).toContain('CFO');
  });

  it('create_contact: a property the CRM does not have is refused, naming it, and nothing is stored', async () => {
    const r = await s.call('create_contact', { email: 'nobody@example.com', last_name: 'N', properties: { [h.unknownProperty]: 'blue' } });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain(h.unknownProperty);
    expect(h.contactsWith('nobody@example.com')).toBe(0);
  });

  it('update_deal moves the stage by label within the deal pipeline, with amount and close date', async () => {
    const id = h.addDeal('Big renewal');
    const r = await s.ok('update_deal', { deal_id: id, stage: h.stage.label, amount: 4200, close_date: '2026-09-30' });
    expect(r.stage).toMatchObject({ id: h.stage.written });
    expect(h.dealStage(id)).toBe(h.stage.written);
    expect(Object.values(h.deal(id) ?? {}).map(String)).toEqual(expect.arrayContaining(['4200']));
  });

  it('update_deal refuses a stage outside the deal pipeline, lists the valid ones, and writes nothing', async () => {
    const id = h.addDeal('Wrong stage');
    const before = h.writes();
    const r = await s.call('update_deal', { deal_id: id, stage: h.stage.wrong });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(/not a stage of the pipeline/);
    expect(errorText(r)).toContain(h.stage.written);
    expect(h.writes()).toBe(before);
  });

  it('update_deal on an unknown deal is not_found', async () => {
    const r = await s.call('update_deal', { deal_id: h.name === 'hubspot' ? '999999' : '006999999999999AAA', amount: 5 });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(/found no|not found|NOT_FOUND|deleted/i);
  });

  it('search_companies pages through every match with a cursor, each once', async () => {
    for (let i = 0; i < 23; i++) h.addCompany(`Paging Corp ${String(i).padStart(2, '0')}`, `paging${i}.example`);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await s.ok('search_companies', { name: 'paging', limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...r.companies.map((c: { id: string }) => c.id));
      cursor = r.nextCursor;
      expect(r.truncated).toBe(Boolean(cursor));
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(23);
  });

  it('search_companies by domain and by a property filter', async () => {
    const id = h.addCompany('Domain Match Ltd', 'domain-match.example');
    const r = await s.ok('search_companies', { domain: 'domain-match.example' });
    expect(r.companies.map((c: { id: string }) => c.id)).toEqual([id]);
    const prop = h.name === 'hubspot' ? 'industry' : 'Industry';
    const value = h.name === 'hubspot' ? 'Aerospace' : 'Finance';
    const f = h.addCompany('Filter Match', 'filter.example', { [prop]: value });
    const byFilter = await s.ok('search_companies', { filters: [{ property: prop, operator: 'eq', value }] });
    expect(byFilter.companies.map((c: { id: string }) => c.id)).toEqual([f]);
  });

  it('a bad cursor is refused', async () => {
    const r = await s.call('search_companies', { name: 'x', cursor: 'bm90LWEtY3Vyc29y' });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(/cursor/i);
  });

  it('log_activity records a note on a contact and a company', async () => {
    const contact = h.addContact('timeline@example.com');
    const company = h.addCompany('Timeline Inc', 'timeline.example');
    const r = await s.ok('log_activity', { type: 'note', body: 'Discussed the Q3 roll-out.', contact_ids: [contact], company_ids: [company] });
    expect(r.associatedWith).toEqual({ contacts: 1, companies: 1, deals: 0 });
    const stored = h.activities().find((a) => a.id === r.activity.id);
    expect(stored?.body).toContain('Discussed the Q3 roll-out.');
    expect(stored?.linked.sort()).toEqual([contact, company].sort());
  });

  it('log_activity logs a call and a meeting on a deal', async () => {
    const deal = h.addDeal('Activity deal');
    for (const type of ['call', 'meeting'] as const) {
      const r = await s.ok('log_activity', { type, subject: `${type} with buyer`, body: `${type} notes`, duration_minutes: 20, deal_ids: [deal] });
      expect(h.activities().find((a) => a.id === r.activity.id)?.linked).toEqual([deal]);
    }
  });

  it('log_activity without anything to attach to is refused before any request', async () => {
    const before = h.writes();
    const r = await s.call('log_activity', { type: 'task', body: 'orphan' });
    expect(r.isError).toBe(true);
    expect(h.writes()).toBe(before);
  });

  it('get_pipeline lists stages in order with probabilities, one by name, and names the valid ones for an unknown', async () => {
    const all = await s.ok('get_pipeline', {});
    expect(all.pipelines.length).toBeGreaterThan(0);
    const first = all.pipelines[0];
    expect(first.stages.map((x: { order: number }) => x.order)).toEqual([...first.stages.map((x: { order: number }) => x.order)].sort((a, b) => a - b));
    expect(first.stages.some((x: { probability?: number }) => x.probability === 1)).toBe(true);
    const one = await s.ok('get_pipeline', { pipeline: first.label });
    expect(one.pipelines).toHaveLength(1);
    const r = await s.call('get_pipeline', { pipeline: 'No such pipeline' });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain(first.label);
  });

  it('a rate limit is reported as such, with the API message', async () => {
    h.rateLimit();
    const r = await s.call('search_companies', { name: 'anything' });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(/rate limit|limit/i);
  });
});

describe('credentials', () => {
  it('HubSpot: without a token the server starts, lists its tools and names HUBSPOT_ACCESS_TOKEN', async () => {
    const s = await connectInProcess(server, { env: { CRM_PROVIDER: 'hubspot' } });
    expect((await s.client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_contact', 'update_deal', 'search_companies', 'log_activity', 'get_pipeline']));
    const r = await s.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(errorText(r)).toContain('CRM_PROVIDER=salesforce');
    await s.close();
  });

  it('HubSpot: an expired token is one error naming HUBSPOT_ACCESS_TOKEN', async () => {
    const h = await hubspotHarness();
    const s = await connectInProcess(server, { env: h.env });
    h.expireCredentials();
    const r = await s.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(errorText(r)).not.toContain(h.env.HUBSPOT_ACCESS_TOKEN);
    await s.close();
    await h.close();
  });

  it('Salesforce: without credentials the call names the variables to set', async () => {
    const s = await connectInProcess(server, { env: { CRM_PROVIDER: 'salesforce' } });
    const r = await s.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain('SALESFORCE_CLIENT_ID');
    await s.close();
  });

  it('Salesforce: an expired session gets a new token silently (client credentials)', async () => {
    const h = await salesforceHarness();
    const s = await connectInProcess(server, { env: h.env });
    await s.ok('get_pipeline', {});
    h.expireCredentials();
    await s.ok('get_pipeline', {});
    expect(h.fake.tokenGrants).toEqual(['client_credentials', 'client_credentials']);
    await s.close();
    await h.close();
  });

  it('Salesforce: a refresh token goes through the OAuth token endpoint and is renewed on expiry', async () => {
    const h = await salesforceHarness({ auth: 'refresh_token' });
    const s = await connectInProcess(server, { env: h.env });
    await s.ok('get_pipeline', {});
    h.expireCredentials();
    await s.ok('get_pipeline', {});
    expect(h.oauth.tokenRequests('refresh_token')).toBe(2);
    await s.close();
    await h.close();
  });

  it('Salesforce: a revoked refresh token is one missing_credentials error', async () => {
    const h = await salesforceHarness({ auth: 'refresh_token' });
    h.oauth.revoke(h.env.SALESFORCE_REFRESH_TOKEN);
    const s = await connectInProcess(server, { env: h.env });
    const r = await s.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(/refused|revoked|invalid_grant/i);
    expect(errorText(r)).not.toContain(h.env.SALESFORCE_REFRESH_TOKEN);
    await s.close();
    await h.close();
  });
});
