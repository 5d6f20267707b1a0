// Upstream error mapping, the SDK adapters (fed errors shaped as each SDK documents them), bounded
// retries, and the shared sleep/abortable helpers.
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  abortable,
  fetchResponseFailure,
  googleFailure,
  hubspotFailure,
  networkFailureOf,
  parseRetryAfter,
  registerSecret,
  salesforceFailure,
  sdkRetrySettings,
  slackFailure,
  sleep,
  stripeFailure,
  ToolError,
  upstreamError,
  withRetries,
  type UpstreamFailure,
} from '../src/index.js';

const STRIPE = { service: 'Stripe', credentialVar: 'STRIPE_SECRET_KEY' };

describe('upstreamError', () => {
  const cases: [string, UpstreamFailure, string, RegExp, boolean][] = [
    [
      '401',
      { ...STRIPE, status: 401, message: 'Invalid API Key provided', requestId: 'req_1' },
      'missing_credentials',
      /Stripe rejected the credential in STRIPE_SECRET_KEY.*Invalid API Key provided.*request id req_1/,
      false,
    ],
    ['403 with scope', { service: 'Slack', status: 403, missingScope: 'chat:write' }, 'access_denied', /lacks "chat:write"/, false],
    ['404 with id', { service: 'HubSpot', status: 404, resource: { kind: 'contact', id: '42' } }, 'not_found', /HubSpot found no contact 42/, false],
    ['409', { service: 'HubSpot', status: 409, message: 'Contact already exists. Existing ID: 7' }, 'conflict', /Contact already exists\. Existing ID: 7/, false],
    ['422', { service: 'X', status: 422, message: 'amount must be positive' }, 'invalid_argument', /HTTP 422.*amount must be positive/, false],
    ['400', { service: 'X', status: 400, message: 'bad' }, 'invalid_argument', /HTTP 400/, false],
    ['429 with wait', { service: 'Slack', status: 429, retryAfterSeconds: 30 }, 'rate_limited', /rate limiting.*Retry in 30 s/, true],
    ['503', { service: 'Google Drive', status: 503 }, 'rate_limited', /temporarily unavailable/, true],
    ['500', { service: 'Stripe', status: 500, requestId: 'req_9' }, 'remote_error', /The Stripe API failed \(HTTP 500\).*request id req_9/, true],
    ['501', { service: 'X', status: 501 }, 'remote_error', /HTTP 501/, false],
    ['timeout', { service: 'Stripe', network: 'timeout' }, 'unavailable', /Could not reach Stripe: the connection timed out\. The request may or may not have reached Stripe/, true],
    ['refused', { service: 'Stripe', network: 'refused' }, 'unavailable', /connection was refused/, true],
    ['tls', { service: 'Stripe', network: 'tls' }, 'unavailable', /TLS/, false],
    ['aborted', { service: 'Stripe', network: 'aborted' }, 'cancelled', /cancelled/, false],
  ];
  it.each(cases)('%s', (_n, f, code, msg, retryable) => {
    const e = upstreamError(f);
    expect(e).toBeInstanceOf(ToolError);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(msg);
    expect(e.details?.retryable).toBe(retryable);
  });

  it('429 carries the wait in details; 401 names the auth command when given', () => {
    expect(upstreamError({ service: 'S', status: 429, retryAfterSeconds: 12 }).details?.retryAfterSeconds).toBe(12);
    const e = upstreamError({ service: 'Google', status: 401, credentialHelp: 'Run `bizmcp-google-workspace auth` again.' });
    expect(e.hint).toBe('Run `bizmcp-google-workspace auth` again.');
  });

  it('never includes secrets: registered values and token shapes are masked; long messages are capped', () => {
    registerSecret('sk_test_registeredsecret123');
    const e = upstreamError({
      service: 'Stripe',
      status: 400,
      message: `Bad key sk_test_registeredsecret123 and sk_live_abcdefghijkl, xoxb-1234-5678-abcdefgh; Bearer abc.def.ghi.jkl ${'x'.repeat(2000)}`,
    });
    expect(e.message).not.toContain('registeredsecret');
    expect(e.message).not.toContain('sk_live_abcdefghijkl');
    expect(e.message).not.toContain('xoxb-1234');
    expect(e.message).not.toContain('abc.def.ghi');
    expect(e.message.length).toBeLessThan(900);
  });
});

describe('adapters', () => {
  it('Stripe: card, permission, idempotency, rate limit, connection', () => {
    const card = stripeFailure(
      { type: 'StripeCardError', rawType: 'card_error', statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card was declined.', requestId: 'req_A' },
      STRIPE,
    );
    expect(upstreamError(card).message).toMatch(/Your card was declined.*req_A/);
    expect(upstreamError(card).details).toMatchObject({ apiCode: 'card_declined', declineCode: 'insufficient_funds' });

    const perm = stripeFailure(
      {
        type: 'StripePermissionError',
        statusCode: 403,
        message:
          "The provided key 'rk_test_***abcd' does not have the required permissions for this endpoint on account 'acct_1'. Having the 'rak_customer_write' permission would allow this request to continue.",
      },
      STRIPE,
    );
    expect(perm.missingScope).toBe('rak_customer_write');

    const idem = stripeFailure(
      { type: 'StripeIdempotencyError', rawType: 'idempotency_error', statusCode: 400, message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' },
      STRIPE,
    );
    expect(upstreamError(idem).code).toBe('conflict');

    const param = stripeFailure({ type: 'StripeInvalidRequestError', statusCode: 400, code: 'parameter_invalid_integer', param: 'amount', message: 'Invalid integer: abc' }, STRIPE);
    expect(upstreamError(param).details).toMatchObject({ param: 'amount' });

    const rate = stripeFailure({ type: 'StripeRateLimitError', statusCode: 429, headers: { 'retry-after': '2', 'request-id': 'req_R' }, message: 'Too many requests' }, STRIPE);
    expect(rate).toMatchObject({ status: 429, retryAfterSeconds: 2, requestId: 'req_R' });

    const conn = stripeFailure({ type: 'StripeConnectionError', message: 'An error occurred with our connection to Stripe.', detail: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }, STRIPE);
    expect(upstreamError(conn).code).toBe('unavailable');
    expect(conn.network).toBe('reset');
  });

  it('Slack: platform errors, rate limits, HTTP and request errors', () => {
    const ctx = { service: 'Slack', credentialVar: 'SLACK_BOT_TOKEN' };
    const scope = slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'channels:read' } }, ctx);
    expect(upstreamError(scope)).toMatchObject({ code: 'access_denied' });
    expect(upstreamError(scope).message).toContain('"chat:write"');
    const nic = upstreamError(slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'not_in_channel' } }, ctx));
    expect(nic.code).toBe('access_denied');
    expect(nic.hint).toMatch(/invite/);
    expect(upstreamError(slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_auth' } }, ctx)).message).toContain('SLACK_BOT_TOKEN');
    expect(upstreamError(slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'channel_not_found' } }, ctx)).code).toBe('not_found');
    const args = upstreamError(
      slackFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: channel'] } } }, ctx),
    );
    expect(args.code).toBe('invalid_argument');
    expect(args.message).toContain('missing required field: channel');
    const rl = slackFailure({ code: 'slack_webapi_rate_limited_error', retryAfter: 7, message: 'A rate limit was exceeded' }, ctx);
    expect(upstreamError(rl).details).toMatchObject({ retryAfterSeconds: 7, retryable: true });
    const http = slackFailure({ code: 'slack_webapi_http_error', statusCode: 502, statusMessage: 'Bad Gateway', headers: { 'x-slack-req-id': 'abc123' } }, ctx);
    expect(upstreamError(http).message).toMatch(/HTTP 502.*abc123/);
    const req = slackFailure({ code: 'slack_webapi_request_error', original: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }, ctx);
    expect(req.network).toBe('refused');
  });

  it('Google: API errors, quota, scopes, OAuth token errors, gaxios 7 Headers', () => {
    const ctx = { service: 'Google Drive', credentialHelp: 'Run `bizmcp-google-workspace auth` again.' };
    const rate = googleFailure(
      {
        status: 403,
        response: {
          status: 403,
          headers: new Headers({ 'x-goog-request-id': 'g1' }),
          data: { error: { code: 403, message: 'User Rate Limit Exceeded', errors: [{ reason: 'userRateLimitExceeded', domain: 'usageLimits' }] } },
        },
      },
      ctx,
    );
    expect(upstreamError(rate)).toMatchObject({ code: 'rate_limited' });
    expect(upstreamError(rate).details).toMatchObject({ retryable: true, requestId: 'g1' });
    const daily = googleFailure({ response: { status: 403, headers: {}, data: { error: { code: 403, message: 'Daily Limit Exceeded', errors: [{ reason: 'dailyLimitExceeded' }] } } } }, ctx);
    expect(upstreamError(daily).details).toMatchObject({ retryable: false });
    const scope = googleFailure(
      {
        response: {
          status: 403,
          headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/drive.file"' },
          data: {
            error: {
              code: 403,
              message: 'Request had insufficient authentication scopes.',
              status: 'PERMISSION_DENIED',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' }],
            },
          },
        },
      },
      ctx,
    );
    expect(scope.missingScope).toBe('https://www.googleapis.com/auth/drive.file');
    const grant = upstreamError(googleFailure({ response: { status: 400, headers: {}, data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } } }, ctx));
    expect(grant.code).toBe('missing_credentials');
    expect(grant.message).toContain('Token has been expired or revoked.');
    expect(grant.hint).toContain('auth');
    const nf = upstreamError(
      googleFailure(
        { response: { status: 404, headers: {}, data: JSON.stringify({ error: { code: 404, message: 'File not found: abc.', errors: [{ reason: 'notFound' }] } }) } },
        { ...ctx, resource: { kind: 'file', id: 'abc' } },
      ),
    );
    expect(nf.message).toMatch(/found no file abc.*File not found: abc/);
    expect(googleFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), ctx).network).toBe('reset');
  });

  it('HubSpot: ApiException bodies, missing scopes, daily limit', () => {
    const ctx = { service: 'HubSpot', credentialVar: 'HUBSPOT_ACCESS_TOKEN' };
    const scopes = hubspotFailure(
      {
        code: 403,
        body: {
          status: 'error',
          message: "This app hasn't been granted all required scopes to make this call.",
          correlationId: 'c-1',
          category: 'MISSING_SCOPES',
          errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }],
        },
        headers: {},
      },
      ctx,
    );
    expect(scopes).toMatchObject({ status: 403, missingScope: 'crm.objects.contacts.write', requestId: 'c-1' });
    const text = hubspotFailure({ code: 400, body: '{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","correlationId":"c-2"}', headers: {} }, ctx);
    expect(upstreamError(text).message).toMatch(/Property values were not valid.*c-2/);
    const daily = hubspotFailure({ code: 429, body: { message: 'You have reached your daily limit.', policyName: 'DAILY', category: 'RATE_LIMITS' }, headers: {} }, ctx);
    expect(upstreamError(daily).details).toMatchObject({ retryable: false, policyName: 'DAILY' });
    const secondly = hubspotFailure({ code: 429, body: { message: 'You have reached your ten_secondly_rolling limit.', policyName: 'TEN_SECONDLY_ROLLING' }, headers: { 'retry-after': '1' } }, ctx);
    expect(upstreamError(secondly).details).toMatchObject({ retryable: true, retryAfterSeconds: 1 });
  });

  it('Salesforce (jsforce): error codes stand for statuses', () => {
    const ctx = { service: 'Salesforce', credentialVar: 'SALESFORCE_CLIENT_ID' };
    const sf = (name: string, message: string, data?: unknown) => upstreamError(salesforceFailure(Object.assign(new Error(message), { name, errorCode: name, data }), ctx));
    expect(sf('INVALID_SESSION_ID', 'Session expired or invalid').code).toBe('missing_credentials');
    expect(sf('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id').code).toBe('access_denied');
    expect(sf('NOT_FOUND', 'The requested resource does not exist').code).toBe('not_found');
    expect(sf('DUPLICATES_DETECTED', 'Use one of these records?').code).toBe('conflict');
    expect(sf('MALFORMED_QUERY', "unexpected token: 'FROM'").code).toBe('invalid_argument');
    expect(sf('ERROR_HTTP_503', 'Service Unavailable').code).toBe('rate_limited');
    expect(sf('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.').details).toMatchObject({ retryable: false });
    expect(
      sf('MULTIPLE_API_ERRORS', 'Multiple errors', [
        { errorCode: 'INVALID_FIELD', message: 'No such column Foo' },
        { errorCode: 'INVALID_FIELD', message: 'No such column Bar' },
      ]).message,
    ).toContain('No such column Bar');
    const grant = Object.assign(new Error('invalid_grant: expired access/refresh token'), { name: 'invalid_grant' });
    expect(upstreamError(salesforceFailure(grant, ctx)).code).toBe('missing_credentials');
  });

  it('fetch: reads the body (capped) and the headers', async () => {
    const srv = createServer((req, res) => {
      if (req.url === '/json') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3', 'x-request-id': 'r-1' });
        res.end(JSON.stringify({ error: { code: 'too_many', message: 'Slow down' } }));
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(200_000));
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const j = await fetchResponseFailure(await fetch(`${base}/json`), { service: 'Acme' });
      expect(j).toMatchObject({ status: 429, code: 'too_many', message: 'Slow down', retryAfterSeconds: 3, requestId: 'r-1' });
      const t = await fetchResponseFailure(await fetch(`${base}/big`), { service: 'Acme' });
      expect(t.status).toBe(500);
      expect(t.message!.length).toBeLessThanOrEqual(64 * 1024);
    } finally {
      srv.close();
    }
  });

  it('network failures are found through cause chains', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });
    expect(networkFailureOf(fetchFailed)).toBe('dns');
    expect(networkFailureOf(new DOMException('timed out', 'TimeoutError'))).toBe('timeout');
    expect(networkFailureOf(new Error('plain'))).toBeUndefined();
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThanOrEqual(4);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('withRetries', () => {
  const err = (f: UpstreamFailure) => upstreamError(f);
  const noWait = { baseDelayMs: 1, maxDelayMs: 2, random: () => 0.5 };

  it('repeats an idempotent call on 5xx and network failures, then succeeds', async () => {
    let n = 0;
    const r = await withRetries(
      async () => {
        n++;
        if (n === 1) throw err({ service: 'S', status: 502 });
        if (n === 2) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return 'ok';
      },
      { idempotent: true, ...noWait },
    );
    expect(r).toBe('ok');
    expect(n).toBe(3);
  });

  it('never repeats a non-idempotent call', async () => {
    let n = 0;
    await expect(
      withRetries(
        async () => {
          n++;
          throw err({ service: 'S', status: 503 });
        },
        { idempotent: false, ...noWait },
      ),
    ).rejects.toMatchObject({ code: 'rate_limited' });
    expect(n).toBe(1);
  });

  it('never repeats a 4xx', async () => {
    let n = 0;
    await expect(
      withRetries(
        async () => {
          n++;
          throw err({ service: 'S', status: 400 });
        },
        { idempotent: true, ...noWait },
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(n).toBe(1);
  });

  it('stops after maxAttempts and says how many were made', async () => {
    let n = 0;
    const e = await withRetries(
      async () => {
        n++;
        throw err({ service: 'S', status: 500 });
      },
      { idempotent: true, maxAttempts: 4, ...noWait },
    ).catch((x) => x);
    expect(n).toBe(4);
    expect(e.details.attempts).toBe(4);
  });

  it('honours Retry-After, and gives up at once when the wait would pass the deadline', async () => {
    const waits: number[] = [];
    let n = 0;
    await withRetries(
      async () => {
        if (++n < 2) throw err({ service: 'S', status: 429, retryAfterSeconds: 0.05 });
        return 1;
      },
      { idempotent: true, onRetry: (i) => waits.push(i.delayMs), random: () => 0 },
    );
    expect(waits).toEqual([50]);

    n = 0;
    const t0 = Date.now();
    const e = await withRetries(
      async () => {
        n++;
        throw err({ service: 'S', status: 429, retryAfterSeconds: 30 });
      },
      { idempotent: true, deadline: Date.now() + 1000 },
    ).catch((x) => x);
    expect(n).toBe(1);
    expect(Date.now() - t0).toBeLessThan(900); // waiting would take the 1 s deadline or the 30 s asked
    expect(e).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 30 } });
  });

  it('maps foreign errors with mapError', async () => {
    const e = await withRetries(
      async () => {
        throw { type: 'StripeAuthenticationError', statusCode: 401, message: 'Invalid API Key' };
      },
      { idempotent: true, mapError: (x) => upstreamError(stripeFailure(x, STRIPE), x) },
    ).catch((x) => x);
    expect(e).toMatchObject({ code: 'missing_credentials' });
  });

  it('an abort during the wait rejects with the signal reason and makes no more attempts', async () => {
    const ac = new AbortController();
    let n = 0;
    const p = withRetries(
      async () => {
        n++;
        throw err({ service: 'S', status: 503, retryAfterSeconds: 10 });
      },
      { idempotent: true, signal: ac.signal },
    );
    setTimeout(() => ac.abort(new ToolError('Cancelled', { code: 'cancelled' })), 20);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    expect(n).toBe(1);
  });

  it('SDK settings turn the SDKs’ own retry loops off', () => {
    expect(sdkRetrySettings.stripe.maxNetworkRetries).toBe(0);
    expect(sdkRetrySettings.slack.retryConfig.retries).toBe(0);
    expect(sdkRetrySettings.slack.rejectRateLimitedCalls).toBe(true);
    expect(sdkRetrySettings.hubspot.numberOfApiCallRetries).toBe(0);
  });
});

describe('sleep and abortable', () => {
  it('50 sequential sleeps on one signal leave no abort listener behind', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 50; i++) await sleep(0, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('sleep rejects with the reason, at once when already aborted', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(sleep(10, ac.signal)).rejects.toThrow('stop');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('abortable settles with the promise and removes its listener; aborts early otherwise', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) expect(await abortable(Promise.resolve(i), ac.signal)).toBe(i);
    await expect(abortable(Promise.reject(new Error('boom')), ac.signal)).rejects.toThrow('boom');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const never = new Promise(() => {});
    const p = abortable(never, ac.signal);
    ac.abort(new Error('gone'));
    await expect(p).rejects.toThrow('gone');
  });
});
