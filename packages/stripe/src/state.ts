import { type Destinations, toolsFor } from '@bizmcp/core';
import type { StripeApi } from './stripe.js';

/** The server's settings, read from its env declaration and flags in parseConfig. */
export interface StripeConfig {
  /** STRIPE_SECRET_KEY (secret or restricted key); undefined until set. */
  secretKey?: string;
  /** STRIPE_ACCOUNT: the connected account every request acts on (Stripe-Account header). */
  account?: string;
  /** STRIPE_API_VERSION: overrides the API version the SDK pins. */
  apiVersion?: string;
  /** STRIPE_API_BASE, without a trailing slash. */
  apiBase: string;
  /** --allow-live: live-mode keys may be used. */
  allowLive: boolean;
  /** STRIPE_SHOW_PII: names, emails, phones and addresses shown unmasked. */
  showPii: boolean;
  /** Largest amount per currency (lowercase code, or '*' for any other), in major units. */
  maxAmount: Record<string, number>;
  /** STRIPE_ALLOWED_RECIPIENTS: who Stripe may email for us; undefined: anyone. */
  recipients?: Destinations;
}

export interface StripeState {
  config: StripeConfig;
  api: StripeApi;
}

/** `tool({...})` with this server's state type: each tool infers its types from its schemas. */
export const tool = toolsFor<StripeState>();
