// OpenAPI tools: list, describe and call operations of the configured document.
import { z } from 'zod';
import { annotations, missingCredentials, ToolError } from '@bizmcp/core';
import { renderResponse, responseSchema } from './methods.js';
import type { ApiConfig } from '../api.js';
import { tool, type HttpApiState } from '../state.js';

const spec = (state: HttpApiState) => {
  if (!state.openapi) throw missingCredentials({ what: 'The OpenAPI document', vars: ['OPENAPI_SPEC'], how: "Set OPENAPI_SPEC to the path or URL of the API's OpenAPI 3 document (JSON or YAML)." });
  return state.openapi;
};

export const listEndpoints = tool({
  name: 'list_endpoints',
  toolset: 'openapi',
  enabled: (config: ApiConfig) => Boolean(config.openapi),
  title: 'List API operations',
  description:
    "List the operations of the API's OpenAPI document (operationId, method, path, summary, tags), filtered by tag and/or text, at most `limit` per page (default 50) with offset. Use describe_endpoint for details and call_endpoint to call one.",
  input: z.object({
    tag: z.string().max(200).optional(),
    text: z.string().max(200).optional().describe('Matches operationId, path, summary'),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(50),
  }),
  output: z.object({
    operations: z.array(z.object({ operationId: z.string(), method: z.string(), path: z.string(), summary: z.string().optional(), tags: z.array(z.string()) })),
    total: z.number(),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: annotations.read(),
  text: (r) =>
    r.operations.map((o) => `${o.operationId}: ${o.method} ${o.path}${o.summary ? ` — ${o.summary}` : ''}`).join('\n') +
    `\n(${r.operations.length} of ${r.total}${r.truncated ? `; more: offset ${r.nextOffset}` : ''})`,
  run: async ({ tag, text, offset, limit }, ctx) => {
    const { ops } = await spec(ctx.state).load(ctx.signal);
    const needle = text?.toLowerCase();
    const hits = ops.filter((o) => (!tag || o.tags.includes(tag)) && (!needle || `${o.operationId} ${o.path} ${o.summary ?? ''}`.toLowerCase().includes(needle)));
    const page = hits.slice(offset, offset + limit);
    const end = offset + page.length;
    return {
      operations: page.map((o) => ({ operationId: o.operationId, method: o.method, path: o.path, summary: o.summary, tags: o.tags })),
      total: hits.length,
      truncated: end < hits.length,
      ...(end < hits.length ? { nextOffset: end } : {}),
    };
  },
});

export const describeEndpoint = tool({
  name: 'describe_endpoint',
  toolset: 'openapi',
  enabled: (config: ApiConfig) => Boolean(config.openapi),
  title: 'Describe an API operation',
  description: 'The parameters (path, query, header; required or not, with schemas), the request body schema and the responses of one operation of the OpenAPI document.',
  input: z.object({ operation_id: z.string().min(1).max(300).describe('The operationId from list_endpoints') }),
  output: z.object({
    operationId: z.string(),
    method: z.string(),
    path: z.string(),
    summary: z.string().optional(),
    description: z.string().optional(),
    parameters: z.array(z.object({ name: z.string(), in: z.string(), required: z.boolean(), description: z.string().optional(), schema: z.unknown().optional() })),
    requestBody: z.object({ required: z.boolean(), contentType: z.string(), schema: z.unknown() }).optional(),
    responses: z.record(z.string(), z.string()),
  }),
  annotations: annotations.read(),
  run: async ({ operation_id }, ctx) => {
    const op = await spec(ctx.state).find(operation_id, ctx.signal);
    const { tags: _t, ...rest } = op;
    return rest;
  },
});

export const callEndpoint = tool({
  name: 'call_endpoint',
  toolset: 'openapi',
  enabled: (config: ApiConfig) => Boolean(config.openapi),
  title: 'Call an API operation',
  description:
    "Call one operation of the OpenAPI document by its operationId (operation_id). path_params, query, headers and body are validated against the document's schemas first: if anything does not match, every problem is listed and nothing is sent. Then the request goes out like the api_* tools (same base URL confinement, credentials, caps).",
  input: z.object({
    operation_id: z.string().min(1).max(300).describe('The operationId from list_endpoints'),
    path_params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    query: z.record(z.string(), z.unknown()).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
  }),
  output: responseSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  rateLimit: { points: 120, durationSec: 60 },
  text: renderResponse,
  run: async (args, ctx) => {
    const api = spec(ctx.state);
    const op = await api.find(args.operation_id, ctx.signal);
    await api.validate(op, args, ctx.signal);
    const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(String(args.path_params[name])));
    return ctx.state.client.request(op.method, path, { query: args.query, headers: args.headers, body: args.body, signal: ctx.signal, deadline: ctx.deadline });
  },
});

export const openapiTools = [listEndpoints, describeEndpoint, callEndpoint];
