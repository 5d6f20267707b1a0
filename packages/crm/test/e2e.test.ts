// The built binary over stdio against both fakes: the SDK client, and raw JSON-RPC lines on stdin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { type Harness, hubspotHarness, salesforceHarness } from './harness.js';

const bin = builtBin('crm');

describe.each([
  ['hubspot', hubspotHarness],
  ['salesforce', salesforceHarness],
] as const)('bizmcp-crm binary with %s', (_name, start) => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());

  it('starts without calling the CRM, upserts a contact, moves a deal, logs a note, and never logs a credential', async () => {
    const s = await spawnStdio(bin, { env: { ...h.env, LOG_LEVEL: 'debug' } });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_contact', 'update_deal', 'search_companies', 'log_activity', 'get_pipeline']));
    expect(h.writes()).toBe(0);
    const call = async (name: string, args: Record<string, unknown>) => {
      const r = await s.client.callTool({ name, arguments: args });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      return r.structuredContent as Record<string, any>;
    };
    const a = await call('create_contact', { email: 'bin@example.com', last_name: 'Ary' });
    const b = await call('create_contact', { email: 'bin@example.com', last_name: 'Ary' });
    expect([a.action, b.action]).toEqual(['created', 'updated']);
    expect(h.contactsWith('bin@example.com')).toBe(1);
    const deal = h.addDeal('Binary deal');
    const moved = await call('update_deal', { deal_id: deal, stage: h.stage.label });
    expect(moved.stage.id).toBe(h.stage.written);
    expect(h.dealStage(deal)).toBe(h.stage.written);
    const note = await call('log_activity', { type: 'note', body: 'From the binary', contact_ids: [a.contact.id] });
    expect(h.activities().find((x) => x.id === note.activity.id)?.linked).toEqual([a.contact.id]);
    h.addCompany('Binary Co', 'binary.example');
    const found = await call('search_companies', { name: 'binary' });
    expect(found.companies).toHaveLength(1);
    await s.close();
    for (const v of Object.entries(h.env).filter(([k]) => /TOKEN|SECRET/.test(k))) expect(s.stderr()).not.toContain(v[1]);
    h.assertNoViolations();
  });

  it('answers piped JSON-RPC lines before it exits, with nothing but protocol on stdout', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'get_pipeline', arguments: {} } }]), { env: h.env });
    expect(run.code).toBe(0);
    expect(run.messages.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-crm');
    expect(run.messages[2].result.structuredContent.pipelines.length).toBeGreaterThan(0);
  });
});

describe('bizmcp-crm binary without credentials', () => {
  it('still starts, and the call names the variable to set', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/call', params: { name: 'get_pipeline', arguments: {} } }]), { env: { CRM_PROVIDER: 'hubspot' } });
    expect(run.code).toBe(0);
    expect(run.messages[1].result.isError).toBe(true);
    expect(JSON.stringify(run.messages[1].result.content)).toContain('HUBSPOT_ACCESS_TOKEN');
  });
});

describe('bizmcp-crm binary, Salesforce read-only', () => {
  it('runs a parsed soql_query and refuses a delete, with no write tools listed', async () => {
    const h = await salesforceHarness();
    h.addCompany('Query Co', 'query.example');
    const s = await spawnStdio(bin, { args: ['--read-only'], env: h.env });
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('soql_query');
    expect(names).not.toContain('create_contact');
    const ok = await s.client.callTool({ name: 'soql_query', arguments: { query: "SELECT Id, Name FROM Account WHERE Name LIKE 'Query%'" } });
    expect((ok.structuredContent as { records: unknown[] }).records).toHaveLength(1);
    const bad = await s.client.callTool({ name: 'soql_query', arguments: { query: 'DELETE FROM Account' } });
    expect(bad.isError).toBe(true);
    expect(h.fake.rows.Account.size).toBe(1);
    await s.close();
    await h.close();
  });
});
