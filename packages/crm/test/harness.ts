// One harness per provider, so that the same tool-level test table runs against both: how to start
// the fake, the environment that points the server at it, how to seed records and what to read back
// from the fake's state as the oracle.
import { type FakeOAuth, startFakeOAuth } from '@bizmcp/core/testing';
import { type FakeHubSpot, startFakeHubSpot } from './fake-hubspot.js';
import { type FakeSalesforce, startFakeSalesforce } from './fake-salesforce.js';

export interface Harness {
  name: 'hubspot' | 'salesforce';
  env: Record<string, string>;
  /** The variable a rejected credential names. */
  credentialVar: string;
  addCompany(name: string, domain: string, extra?: Record<string, string>): string;
  addContact(email: string, extra?: Record<string, string>): string;
  addDeal(name: string): string;
  /** Contacts stored with this e-mail (case-insensitive). */
  contactsWith(email: string): number;
  contact(id: string): Record<string, unknown> | undefined;
  dealStage(id: string): unknown;
  deal(id: string): Record<string, unknown> | undefined;
  /** Activities stored, with the ids they are linked to. */
  activities(): { id: string; body: unknown; linked: string[] }[];
  /** A stage label that exists, its id as written, and one that does not. */
  stage: { label: string; written: string; wrong: string };
  /** A property the CRM does not have. */
  unknownProperty: string;
  /** Writes (create/update/delete requests) the fake received. */
  writes(): number;
  expireCredentials(): void;
  rateLimit(): void;
  assertNoViolations(): void;
  close(): Promise<void>;
}

export async function hubspotHarness(): Promise<Harness & { fake: FakeHubSpot }> {
  const fake = await startFakeHubSpot();
  const writes = () => fake.api.requests.requests.filter((r) => ['objects.create', 'objects.update', 'objects.archive', 'associations.createDefault'].includes(r.operation ?? '')).length;
  return {
    name: 'hubspot',
    fake,
    env: { CRM_PROVIDER: 'hubspot', HUBSPOT_ACCESS_TOKEN: fake.token, HUBSPOT_BASE_URL: fake.url },
    credentialVar: 'HUBSPOT_ACCESS_TOKEN',
    addCompany: (name, domain, extra = {}) => fake.add('companies', { name, domain, ...extra }).id,
    addContact: (email, extra = {}) => fake.add('contacts', { email, ...extra }).id,
    addDeal: (name) => fake.add('deals', { dealname: name, pipeline: 'default', dealstage: 'appointmentscheduled', amount: '1000' }).id,
    contactsWith: (email) => [...fake.objects.contacts.values()].filter((r) => !r.archived && String(r.properties.email).toLowerCase() === email.toLowerCase()).length,
    contact: (id) => fake.objects.contacts.get(id)?.properties,
    dealStage: (id) => fake.objects.deals.get(id)?.properties.dealstage,
    deal: (id) => fake.objects.deals.get(id)?.properties,
    activities: () =>
      ['notes', 'calls', 'emails', 'meetings', 'tasks'].flatMap((t) =>
        [...fake.objects[t].values()].map((r) => ({
          id: r.id,
          body: r.properties.hs_note_body ?? r.properties.hs_call_body ?? r.properties.hs_email_text ?? r.properties.hs_meeting_body ?? r.properties.hs_task_body,
          linked: fake.links.filter((l) => l.fromType === t && l.fromId === r.id).map((l) => l.toId),
        })),
      ),
    stage: { label: 'Contract Sent', written: 'contractsent', wrong: 'Renewed' },
    unknownProperty: 'favourite_colour',
    writes,
    expireCredentials: () => fake.expireToken(),
    rateLimit: () => fake.failNext(1, 429, { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', category: 'RATE_LIMITS' }),
    assertNoViolations: () => fake.api.assertNoViolations(),
    close: () => fake.close(),
  };
}

export async function salesforceHarness(opts: { auth?: 'client_credentials' | 'refresh_token' } = {}): Promise<Harness & { fake: FakeSalesforce; oauth: FakeOAuth }> {
  const oauth = await startFakeOAuth({ clients: [{ clientId: 'sf-client-id' }] });
  const fake = await startFakeSalesforce({ oauth });
  const writes = () => fake.api.requests.requests.filter((r) => ['create', 'update', 'destroy'].includes(r.operation ?? '')).length;
  const auth: Record<string, string> =
    opts.auth === 'refresh_token'
      ? { SALESFORCE_CLIENT_ID: 'sf-client-id', SALESFORCE_REFRESH_TOKEN: oauth.issueRefreshToken({ clientId: 'sf-client-id' }) }
      : { SALESFORCE_CLIENT_ID: fake.client.id, SALESFORCE_CLIENT_SECRET: fake.client.secret };
  return {
    name: 'salesforce',
    fake,
    oauth,
    env: { CRM_PROVIDER: 'salesforce', SALESFORCE_LOGIN_URL: fake.url, ...auth },
    credentialVar: 'SALESFORCE_CLIENT_ID',
    addCompany: (name, domain, extra = {}) => String(fake.add('Account', { Name: name, Website: `https://${domain}`, ...extra }).Id),
    addContact: (email, extra = {}) => String(fake.add('Contact', { Email: email, LastName: 'Seeded', ...extra }).Id),
    addDeal: (name) => String(fake.add('Opportunity', { Name: name, StageName: 'Prospecting', CloseDate: '2026-06-30', Amount: 1000 }).Id),
    contactsWith: (email) => [...fake.rows.Contact.values()].filter((r) => String(r.Email).toLowerCase() === email.toLowerCase()).length,
    contact: (id) => fake.rows.Contact.get(id),
    dealStage: (id) => fake.rows.Opportunity.get(id)?.StageName,
    deal: (id) => fake.rows.Opportunity.get(id),
    activities: () => [...fake.rows.Task.values(), ...fake.rows.Event.values()].map((r) => ({ id: String(r.Id), body: r.Description, linked: [r.WhoId, r.WhatId].filter(Boolean).map(String) })),
    stage: { label: 'proposal/price quote', written: 'Proposal/Price Quote', wrong: 'Negotiation' },
    unknownProperty: 'Favourite_Colour__c',
    writes,
    expireCredentials: () => fake.expireTokens(),
    rateLimit: () => fake.failNext(1, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
    assertNoViolations: () => fake.api.assertNoViolations(),
    close: async () => {
      await fake.close();
      await oauth.close();
    },
  };
}
