// bizmcp-http-api: any REST API under one base URL, with method-aware annotations, an SSRF guard,
// size caps with paging, retries for idempotent methods, and OpenAPI awareness.
import { defineServer, registerSecret } from '@bizmcp/core';
import { ApiClient, parseApiConfig, type ApiConfig } from './api.js';
import { OpenApi } from './openapi.js';
import type { HttpApiState } from './state.js';
import { methodTools } from './tools/methods.js';
import { openapiTools } from './tools/openapi.js';

/** The server; `overrides` is a test seam (e.g. a resolver for the net guard). */
export function createHttpApiServer(overrides: Partial<ApiConfig> = {}) {
  const def = defineServer<ApiConfig, HttpApiState>({
    name: 'http-api',
    version: '0.1.0',
    title: 'bizmcp HTTP API',
    description: 'Call one REST API (fixed by API_BASE_URL) with GET/HEAD/POST/PUT/PATCH/DELETE, or by operationId from its OpenAPI document. Credentials from the environment only; no request leaves the base URL.',
    instructions: 'Every path is relative to the API base URL. With an OpenAPI document, start with list_endpoints and describe_endpoint, then call_endpoint. Large bodies are cut: use get_response_part.',
    env: {
      API_BASE_URL: { description: 'The API\'s base URL; every request stays under it (it may be a private address: the operator chose it).', example: 'https://api.example.com/v1' },
      API_KEY: { description: 'API key, sent as `Authorization: Bearer` (default), or in API_KEY_HEADER, or as the API_KEY_QUERY parameter.', secret: true },
      API_KEY_HEADER: { description: 'Send API_KEY in this header instead (e.g. X-API-Key).' },
      API_KEY_QUERY: { description: 'Send API_KEY as this query parameter instead (e.g. api_key).' },
      API_BASIC_USER: { description: 'HTTP basic auth user (with API_BASIC_PASSWORD).' },
      API_BASIC_PASSWORD: { description: 'HTTP basic auth password.', secret: true },
      API_HEADERS: { description: 'Default headers as a JSON object, e.g. {"Accept-Language":"fr"}.' },
      OPENAPI_SPEC: { description: 'OpenAPI 3 document (file path or URL, JSON or YAML): enables list_endpoints, describe_endpoint, call_endpoint.' },
      API_MAX_RESPONSE_BYTES: { description: 'Largest body part returned in one result (the rest via get_response_part).', default: '102400' },
      API_TIMEOUT_MS: { description: 'Timeout of one request.', default: '30000' },
      API_MAX_RETRIES: { description: 'Retries of GET/HEAD/PUT/DELETE on 429/503 (honouring Retry-After).', default: '2' },
      API_MAX_RETRY_WAIT_MS: { description: 'Longest Retry-After honoured; a longer one is returned to the caller.', default: '10000' },
    },
    parseConfig: (args) => ({ ...parseApiConfig(args.env), ...overrides }),
    tools: (config) => (config.openapi ? [...methodTools, ...openapiTools] : methodTools),
    setup(config, rt) {
      if (config.basic) registerSecret(Buffer.from(`${config.basic.user}:${config.basic.password}`).toString('base64'));
      const client = new ApiClient(config);
      const openapi = config.openapi ? new OpenApi(config.openapi, client) : undefined;
      // The document is fetched once, right after the handshake; a failure is logged and retried
      // at the first call that needs it.
      if (openapi) rt.onInitialized(() => void openapi.load(rt.shutdownSignal).catch((e) => rt.log.warn({ err: (e as Error).message }, 'OPENAPI_SPEC could not be loaded')));
      return { config, client, openapi };
    },
    close: async (state) => state.client.guard.close(),
  });
  (def as unknown as { allTools: unknown[] }).allTools = [...methodTools, ...openapiTools];
  return def;
}

export default createHttpApiServer();
