// Read-only SOQL for Salesforce: the query is parsed (one SELECT of a known subset, no DML, no
// subqueries) and rendered again from the parse, its LIMIT capped, and its rows paged by cursor.
import { annotations, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import type { CrmConfig } from '../config.js';
import { SalesforceProvider } from '../salesforce.js';
import { recordOut, show, usage, usageOut } from '../schemas.js';
import { parseSoql, renderSoql } from '../soql.js';
import { tool } from '../state.js';

/** The most rows one soql_query may read, over all its pages. */
export const SOQL_MAX_ROWS = 2000;

export const soqlQuery = tool({
  name: 'soql_query',
  toolset: 'query',
  title: 'Run a SOQL query (read-only)',
  description: `Runs one read-only SOQL SELECT (Salesforce only): SELECT fields FROM object [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n], with AND/OR/NOT, comparisons, LIKE, IN and date literals. No DML, subqueries, functions other than COUNT(), GROUP BY or FOR UPDATE. LIMIT is capped at ${SOQL_MAX_ROWS}; rows come a page at a time (pass nextCursor back with the same query). Returns the query as sent.`,
  input: z.object({
    query: z.string().min(1).max(20_000),
    ...pageInput({ default: 100, max: 500, what: 'rows' }),
  }),
  output: z.object({ records: z.array(recordOut), totalSize: z.number().optional(), query: z.string(), ...pageOutput, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  enabled: (config: CrmConfig) => config.provider === 'salesforce',
  async run(args, ctx) {
    const { crm } = ctx.state;
    if (!(crm instanceof SalesforceProvider)) throw new ToolError('soql_query needs CRM_PROVIDER=salesforce', { code: 'invalid_argument' });
    const parsed = parseSoql(args.query);
    parsed.limit = Math.min(parsed.limit ?? SOQL_MAX_ROWS, SOQL_MAX_ROWS);
    const sent = renderSoql(parsed);
    const page = await crm.pagedQuery(ctx, parsed.from, sent, args.limit, args.cursor);
    return {
      records: page.records.map((r) => show(ctx.state, r)),
      ...(page.total !== undefined ? { totalSize: page.total } : {}),
      query: sent,
      truncated: Boolean(page.nextCursor),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      ...usage(crm),
    };
  },
});

export const queryTools = [soqlQuery];
