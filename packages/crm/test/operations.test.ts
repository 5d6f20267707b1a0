// What a sales team running the server for days meets: other Salesforce flows (JWT bearer through
// core's fake OAuth server, username-password with its warning), API allowances running low,
// conflicts, and writes whose outcome is unknown after a timeout.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectInProcess, JWT_BEARER, startFakeOAuth, textOf } from '@bizmcp/core/testing';
import { parseCrmConfig } from '../src/config.js';
import server from '../src/server.js';
import { startFakeSalesforce } from './fake-salesforce.js';
import { hubspotHarness, salesforceHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'crm-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Salesforce flows', () => {
  it('JWT bearer: an RS256 assertion for the user, checked by the OAuth server; renewed when the session expires', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dir, 'server.key');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    // Salesforce wants the login host as the audience: known once the fake listens.
    const audience: string[] = [];
    const oauth = await startFakeOAuth({ clients: [{ clientId: 'sf-app' }], omitJwtExpiresIn: true, jwtIssuers: [{ issuer: 'sf-app', publicKey, audience, subjects: ['ops@example.com'] }] });
    const fake = await startFakeSalesforce({ oauth });
    audience.push(fake.url);
    const env = { CRM_PROVIDER: 'salesforce', SALESFORCE_LOGIN_URL: fake.url, SALESFORCE_CLIENT_ID: 'sf-app', SALESFORCE_PRIVATE_KEY_FILE: keyFile, SALESFORCE_USERNAME: 'ops@example.com' };
    expect(parseCrmConfig({ flags: {}, positionals: [], env }).salesforce.auth.kind).toBe('jwt');
    const s = await connectInProcess(server, { env });
    await s.ok('get_pipeline', {});
    fake.expireTokens();
    await s.ok('get_pipeline', {});
    expect(oauth.tokenRequests(JWT_BEARER)).toBe(2);
    expect(s.logs.join('\n')).not.toContain('PRIVATE KEY');
    const wrongUser = await connectInProcess(server, { env: { ...env, SALESFORCE_USERNAME: 'intruder@example.com' } });
    const r = await wrongUser.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/refused the signed assertion/);
    await wrongUser.close();
    await s.close();
    await fake.close();
    await oauth.close();
  });

  it('username-password is used only when nothing else is set, with a warning', async () => {
    const h = await salesforceHarness();
    const env = { CRM_PROVIDER: 'salesforce', SALESFORCE_LOGIN_URL: h.fake.url, SALESFORCE_USERNAME: h.fake.user.username, SALESFORCE_PASSWORD: h.fake.user.password };
    const s = await connectInProcess(server, { env });
    await s.ok('get_pipeline', {});
    expect(h.fake.tokenGrants).toEqual(['password']);
    expect(s.logs.join('\n')).toMatch(/username-password flow/);
    expect(s.logs.join('\n')).not.toContain(h.fake.user.password);
    await s.close();
    await h.close();
  });

  it('SALESFORCE_API_VERSION must look like 64.0; every request uses it', async () => {
    expect(() => parseCrmConfig({ flags: {}, positionals: [], env: { SALESFORCE_API_VERSION: 'latest' } })).toThrow(/SALESFORCE_API_VERSION/);
    const h = await salesforceHarness();
    const s = await connectInProcess(server, { env: { ...h.env, SALESFORCE_API_VERSION: '59.0' } });
    const r = await s.call('get_pipeline', {});
    expect(r.isError).toBe(true);
    expect(h.fake.api.takeViolations().some((v) => v.url.includes('/v59.0/'))).toBe(true);
    await s.close();
    await h.close();
  });
});

describe('allowances, conflicts and unknown outcomes', () => {
  it('HubSpot: results say when the daily allowance is nearly used up', async () => {
    const h = await hubspotHarness();
    const s = await connectInProcess(server, { env: h.env });
    expect((await s.ok('get_pipeline', {})).apiWarning).toBeUndefined();
    h.fake.daily.used = 240_000;
    expect((await s.ok('get_pipeline', {})).apiWarning).toMatch(/daily API limit nearly reached/);
    await s.close();
    await h.close();
  });

  it('Salesforce: results say when Sforce-Limit-Info shows the API requests nearly used up', async () => {
    const h = await salesforceHarness();
    const s = await connectInProcess(server, { env: h.env });
    expect((await s.ok('get_pipeline', {})).apiWarning).toBeUndefined();
    h.fake.usage.used = 14_500;
    expect((await s.ok('get_pipeline', {})).apiWarning).toMatch(/nearly used up/);
    await s.close();
    await h.close();
  });

  it('Salesforce validation errors name the field: a contact without LastName, a stage outside the picklist', async () => {
    const h = await salesforceHarness();
    const s = await connectInProcess(server, { env: h.env });
    const r = await s.call('create_contact', { email: 'nolast@example.com', first_name: 'No' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/REQUIRED_FIELD_MISSING|Required fields are missing: \[LastName\]/);
    const deal = h.addDeal('Picklist deal');
    const p = await s.call('update_record', { object_type: 'Opportunity', id: deal, properties: { StageName: 'Invented' } });
    expect(p.isError).toBe(true);
    expect(textOf(p)).toContain('StageName');
    expect(h.dealStage(deal)).toBe('Prospecting');
    await s.close();
    await h.close();
  });

  it('HubSpot: a quick repeat of create_company / create_deal finds the record the search index does not show yet', async () => {
    const h = await hubspotHarness();
    const s = await connectInProcess(server, { env: h.env });
    const a = await s.ok('create_company', { name: 'Lagging Co', domain: 'lagging.example' });
    h.fake.notIndexed.add(a.company.id);
    const b = await s.ok('create_company', { name: 'Lagging Co', domain: 'lagging.example', city: 'Nantes' });
    expect([a.action, b.action]).toEqual(['created', 'updated']);
    expect(b.company.id).toBe(a.company.id);
    expect([...h.fake.objects.companies.values()].filter((r) => r.properties.domain === 'lagging.example')).toHaveLength(1);
    const d1 = await s.ok('create_deal', { name: 'Lagging deal', close_date: '2026-10-01', external_id: 'ERP-LAG' });
    h.fake.notIndexed.add(d1.deal.id);
    const d2 = await s.ok('create_deal', { name: 'Lagging deal', close_date: '2026-10-01', external_id: 'ERP-LAG', amount: 10 });
    expect(d2.deal.id).toBe(d1.deal.id);
    expect([...h.fake.objects.deals.values()].filter((r) => r.properties.external_id === 'ERP-LAG')).toHaveLength(1);
    await s.close();
    await h.close();
  });

  it('a duplicate e-mail is a conflict (HubSpot 409, Salesforce duplicate rule)', async () => {
    for (const start of [hubspotHarness, salesforceHarness]) {
      const h = await start();
      if (h.name === 'salesforce') (h as Awaited<ReturnType<typeof salesforceHarness>>).fake.duplicateRule = true;
      h.addContact('taken@example.com');
      const s = await connectInProcess(server, { env: h.env });
      const r = await s.call('create_record', {
        object_type: 'contacts',
        properties: { [h.name === 'hubspot' ? 'email' : 'Email']: 'taken@example.com', [h.name === 'hubspot' ? 'lastname' : 'LastName']: 'T' },
      });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/conflict/i);
      expect(h.contactsWith('taken@example.com')).toBe(1);
      const up = await s.ok('create_contact', { email: 'taken@example.com', last_name: 'Taken' });
      expect(up.action).toBe('updated');
      await s.close();
      await h.close();
    }
  });

  it('log_activity that times out is an unknown outcome, and the same call is refused until confirmed', async () => {
    const h = await hubspotHarness();
    const s = await connectInProcess(server, { env: { ...h.env, BIZMCP_TIMEOUT_MS_LOG_ACTIVITY: '400' } });
    const contact = h.addContact('slow@example.com');
    const args = { type: 'call', body: 'Slow line', contact_ids: [contact] };
    h.fake.delayNext(1, 1500);
    const first = await s.call('log_activity', args);
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/unknown|timed out/i);
    await new Promise((r) => setTimeout(r, 1500));
    const created = h.activities().length;
    const again = await s.call('log_activity', args);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/confirm_repeat/);
    expect(h.activities().length).toBe(created);
    await s.ok('log_activity', { ...args, confirm_repeat: true });
    expect(h.activities().length).toBe(created + 1);
    await s.close();
    await h.close();
  });
});
