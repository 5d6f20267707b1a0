// bizmcp-stripe: Stripe payments, billing and customers, in test mode by default, with no double
// charges: every create and refund carries an idempotency key derived from the call, amounts are
// capped per currency, refunds never exceed what is refundable, live keys need --allow-live.
import { defineServer } from '@bizmcp/core';
import type { StripeConfig, StripeState } from './state.js';
import { parseStripeConfig, protectKey, StripeApi, stripeEnv, stripeOptions } from './stripe.js';
import { billingTools } from './tools/billing.js';
import { catalogTools } from './tools/catalog.js';
import { customerTools } from './tools/customers.js';
import { paymentTools } from './tools/payments.js';

export default defineServer<StripeConfig, StripeState>({
  name: 'stripe',
  version: '0.1.0',
  title: 'bizmcp Stripe',
  description:
    'Stripe customers, payments, refunds, invoices and subscriptions for an agent that must never charge twice: idempotency keys derived from each call, amount caps per currency (STRIPE_MAX_AMOUNT), refunds checked against what is refundable, personal data masked, and live keys refused unless --allow-live.',
  instructions:
    'Amounts are in the smallest currency unit (cents; whole yen for JPY). Look before you write: list_customers (by email) before create_customer, list_payment_intents / list_refunds before charging or refunding again. Repeating a write with the same arguments returns the first result (replayed: true) rather than acting twice; pass a new idempotency_key only for a genuinely new, identical operation. If a write ends with an UNKNOWN outcome, check before confirming a repeat with confirm_repeat. Every result says livemode.',
  env: stripeEnv,
  options: stripeOptions,
  parseConfig: (args) => parseStripeConfig(args),
  toolsets: {
    customers: { description: 'Create, find, read and update customers (restricted key: Customers write, or read for the read tools).' },
    payments: {
      description:
        'Payment intents, charges, refunds, disputes, the balance and its transactions, and the account (restricted key: PaymentIntents and Refunds write; Charges, Disputes, Balance, Balance transactions and Account read; read only for the read tools).',
    },
    billing: {
      description:
        'Invoices, subscriptions and coupons: list, draft, add lines to, finalize, send and void invoices; create, read and cancel subscriptions; create coupons (restricted key: Invoices, Invoice items, Subscriptions and Coupons write, Prices read; read for the read tools).',
    },
    catalog: { description: 'Products, prices and payment links (restricted key: Products, Prices and Payment Links write; read for the read tools).' },
  },
  tools: [...customerTools, ...paymentTools, ...billingTools, ...catalogTools],
  setup(config, rt) {
    protectKey(config, rt.log);
    return { config, api: new StripeApi(config, rt.log) };
  },
});
