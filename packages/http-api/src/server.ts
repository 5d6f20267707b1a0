// bizmcp-http-api: any REST API under one base URL, with method-aware annotations, an SSRF guard,
// size caps with paging, retries for idempotent methods, and OpenAPI awareness.
import { defineServer, registerSecret } from '@bizmcp/core';
import { apiEnv, ApiClient, parseApiConfig, type ApiConfig } from './api.js';
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
    description:
      'Call one REST API (fixed by API_BASE_URL) with GET/HEAD/POST/PUT/PATCH/DELETE, or by operationId from its OpenAPI document. Credentials from the environment only; no request leaves the base URL.',
    instructions:
      'Every path is relative to the API base URL. With an OpenAPI document, start with list_endpoints and describe_endpoint, then call_endpoint. Large bodies are cut: use get_response_part.',
    env: apiEnv,
    parseConfig: (args) => ({ ...parseApiConfig(args.env), ...overrides }),
    toolsets: {
      methods: { description: 'Call the API with GET, HEAD, POST, PUT, PATCH and DELETE.' },
      openapi: { description: "Browse and call the operations of the API's OpenAPI document; registered only with OPENAPI_SPEC." },
    },
    tools: [...methodTools, ...openapiTools],
    setup(config, rt) {
      if (config.basic) registerSecret(Buffer.from(`${config.basic.user}:${config.basic.password}`).toString('base64'));
      const client = new ApiClient(config);
      const openapi = config.openapi ? new OpenApi(config.openapi, client) : undefined;
      // The document is fetched once, right after the handshake; a failure is logged and retried
      // at the first call that needs it.
      if (openapi) rt.onInitialized(() => void openapi.load(rt.shutdownSignal).catch((e) => rt.log.warn({ err: (e as Error).message }, 'OPENAPI_SPEC could not be loaded')));
      rt.onClose(() => client.guard.close());
      return { config, client, openapi };
    },
  });
  return def;
}

export default createHttpApiServer();
