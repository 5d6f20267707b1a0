// One tool per HTTP method, annotated by what the method does; and paging through a large body.
import { z } from 'zod';
import { annotations, ToolError } from '@bizmcp/core';
import { sliceChars, type Method } from '../api.js';
import { tool } from '../state.js';

const endpoint = z.string().min(1).max(4000).describe('Path under API_BASE_URL, e.g. /customers/42 (a query string is allowed)');
const query = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean()]))]))
  .default({})
  .describe('Query parameters');
const headers = z
  .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(8000))
  .default({})
  .describe('Extra request headers (not Authorization or Cookie: credentials come from the server)');

export const responseSchema = z.object({
  status: z.number(),
  ok: z.boolean(),
  url: z.string(),
  headers: z.record(z.string(), z.string()).describe('Selected headers: content type, pagination (Link), rate limits, Location, ETag…'),
  contentType: z.string().optional(),
  body: z.unknown().optional().describe('JSON parsed, or text'),
  binary: z.object({ bytes: z.number(), sha256: z.string() }).optional().describe('Binary bodies are summarised, never returned'),
  document: z
    .object({ type: z.string().optional(), pages: z.number().optional(), capped: z.array(z.string()).optional(), dropped: z.record(z.string(), z.number()).optional(), error: z.string().optional() })
    .optional()
    .describe('A PDF or Office body was returned as its text (body), with its format; or why it could not be read'),
  bytes: z.number(),
  truncated: z.boolean(),
  responseId: z.string().optional().describe('When truncated: pass to get_response_part'),
  nextOffset: z.number().optional(),
  retries: z.number(),
});

export function renderResponse(r: z.infer<typeof responseSchema>): string {
  const head = `HTTP ${r.status}${r.contentType ? ` ${r.contentType}` : ''}${r.retries ? ` (after ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'})` : ''}`;
  const hdrs = Object.entries(r.headers)
    .filter(([k]) => k !== 'content-type')
    .map(([k, v]) => `${k}: ${v}`);
  const body = r.binary
    ? `[binary body: ${r.binary.bytes} bytes, sha256 ${r.binary.sha256}]${r.document?.error ? ` (not read as a document: ${r.document.error})` : ''}`
    : r.body === undefined
      ? ''
      : typeof r.body === 'string'
        ? r.body
        : JSON.stringify(r.body);
  const more = r.truncated ? `\n[truncated at ${r.bytes > 0 ? 'the size cap' : ''}: get_response_part with response_id "${r.responseId}" and offset ${r.nextOffset}]` : '';
  return [head, ...hdrs, '', body].join('\n') + more;
}

const document_text = z.boolean().default(true).describe('A PDF, Word, Excel, PowerPoint or OpenDocument response comes back as its text (markdown); false: summarised as binary.');

function methodTool(
  name: string,
  method: Method,
  opts: { title: string; body: boolean; annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean }; description: string },
) {
  const input = opts.body
    ? z.object({ endpoint, query, headers, body: z.unknown().optional().describe('JSON body (an object or array), or a string sent as is'), document_text })
    : z.object({ endpoint, query, headers, document_text });
  return tool({
    name,
    toolset: 'methods',
    title: opts.title,
    description: opts.description,
    input,
    output: responseSchema,
    annotations: { ...opts.annotations, openWorldHint: true },
    rateLimit: { points: 120, durationSec: 60 },
    text: renderResponse,
    run: async (args, ctx) =>
      ctx.state.client.request(method, args.endpoint, {
        query: args.query,
        headers: args.headers,
        body: (args as { body?: unknown }).body,
        signal: ctx.signal,
        deadline: ctx.deadline,
        documentText: args.document_text,
      }),
  });
}

const common =
  'The host is fixed by API_BASE_URL: pass only a path (absolute URLs, other hosts and ".." are refused). Credentials are added by the server. Returns status, selected headers and the body (JSON parsed, text as text, a PDF or Office document as its text unless document_text is false, other binary summarised); bodies over API_MAX_RESPONSE_BYTES (100 kB) are cut, with get_response_part for the rest.';

export const apiGet = methodTool('api_get', 'GET', {
  title: 'GET from the API',
  body: false,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  description: `Read a resource of the configured API with GET. ${common} 429/503 answers are retried honouring Retry-After.`,
});
export const apiHead = methodTool('api_head', 'HEAD', {
  title: 'HEAD on the API',
  body: false,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  description: `Fetch only the status and headers of a resource (HEAD): existence, size, ETag, rate limits. ${common}`,
});
export const apiPost = methodTool('api_post', 'POST', {
  title: 'POST to the API',
  body: true,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  description: `Create something or call an action with POST and a JSON body. Never retried automatically (it could run twice). ${common}`,
});
export const apiPut = methodTool('api_put', 'PUT', {
  title: 'PUT to the API',
  body: true,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  description: `Replace a resource with PUT and a JSON body. ${common}`,
});
export const apiPatch = methodTool('api_patch', 'PATCH', {
  title: 'PATCH the API',
  body: true,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  description: `Change part of a resource with PATCH and a JSON body. Never retried automatically. ${common}`,
});
export const apiDelete = methodTool('api_delete', 'DELETE', {
  title: 'DELETE on the API',
  body: false,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  description: `Delete a resource with DELETE. ${common}`,
});

export const getResponsePart = tool({
  name: 'get_response_part',
  toolset: 'methods',
  title: 'Read more of a large response',
  description:
    'Read the next part of a response body that was truncated (the last 10 large bodies are kept in memory). Pass the response_id and the offset (nextOffset) from the previous result; each part is at most API_MAX_RESPONSE_BYTES.',
  input: z.object({ response_id: z.string().min(1).max(64), offset: z.number().int().min(0) }),
  output: z.object({ responseId: z.string(), text: z.string(), offset: z.number(), totalLength: z.number(), truncated: z.boolean(), nextOffset: z.number().optional() }),
  annotations: annotations.read(),
  text: (r) => r.text + (r.truncated ? `\n[more: offset ${r.nextOffset}]` : ''),
  run: async ({ response_id, offset }, ctx) => {
    const item = ctx.state.client.store.get(response_id);
    if (!item) throw new ToolError(`Unknown or expired response_id: ${response_id}`, { code: 'not_found', hint: 'Only the last 10 large responses are kept; send the request again.' });
    if (offset > item.text.length) throw new ToolError(`offset ${offset} is past the end (${item.text.length} characters)`, { code: 'invalid_argument' });
    const part = sliceChars(item.text, offset, ctx.state.config.maxResponseBytes);
    const end = offset + part.length;
    const truncated = end < item.text.length;
    return { responseId: response_id, text: part, offset, totalLength: item.text.length, truncated, ...(truncated ? { nextOffset: end } : {}) };
  },
});

export const methodTools = [apiGet, apiHead, apiPost, apiPut, apiPatch, apiDelete, getResponsePart];
