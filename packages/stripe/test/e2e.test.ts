// The built binary over stdio against the fake Stripe: the SDK client, and raw JSON-RPC lines on stdin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { type FakeStripe, startFakeStripe } from './fake-stripe.js';

const bin = builtBin('stripe');
const KEY = 'rk_test_51E2e000000000000000000000';
let fake: FakeStripe;

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(() => fake.close());

describe('bizmcp-stripe binary', () => {
  it('starts without calling Stripe, creates a customer and a payment once, and never logs the key', async () => {
    const s = await spawnStdio(bin, { env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: fake.url, LOG_LEVEL: 'debug' } });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_customer', 'create_payment_intent', 'list_invoices', 'create_subscription', 'refund_payment']));
    expect(fake.api.requests.requests).toHaveLength(0);
    const created = await s.client.callTool({ name: 'create_customer', arguments: { email: 'bin@example.com', name: 'Bin Ary' } });
    expect(created.isError).toBeFalsy();
    const customer = created.structuredContent as { customer: { id: string; email: string }; livemode: boolean };
    expect(customer).toMatchObject({ livemode: false, customer: { email: 'b**@example.com' } });
    const args = { amount: 1999, currency: 'eur', customer_id: customer.customer.id };
    const a = await s.client.callTool({ name: 'create_payment_intent', arguments: args });
    const b = await s.client.callTool({ name: 'create_payment_intent', arguments: args });
    expect((a.structuredContent as { paymentIntent: { id: string } }).paymentIntent.id).toBe((b.structuredContent as { paymentIntent: { id: string } }).paymentIntent.id);
    expect((b.structuredContent as { replayed: boolean }).replayed).toBe(true);
    expect(fake.store.payment_intent.size).toBe(1);
    expect(fake.api.requests.requests[0].headers['user-agent']).toMatch(/^Stripe\/v1 NodeBindings/);
    await s.close();
    expect(s.stderr()).not.toContain(KEY);
    fake.api.assertNoViolations();
  });

  it('answers piped JSON-RPC lines before it exits, with nothing but protocol on stdout', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'list_invoices', arguments: { limit: 5 } } }]), {
      env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: fake.url },
    });
    expect(run.code).toBe(0);
    expect(run.messages.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-stripe');
    expect(run.messages[2].result.structuredContent).toMatchObject({ invoices: [], truncated: false });
  });

  it('without a key it still starts and the call names STRIPE_SECRET_KEY', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/call', params: { name: 'list_customers', arguments: {} } }]), { env: { STRIPE_API_BASE: fake.url } });
    expect(run.code).toBe(0);
    expect(run.messages[1].result.isError).toBe(true);
    expect(JSON.stringify(run.messages[1].result.content)).toContain('STRIPE_SECRET_KEY');
  });
});
