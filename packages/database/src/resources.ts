// Table schemas as MCP resources, and the prompts.
import type { PromptDef, ResourceTemplateDef } from '@bizmcp/core';
import { describeTable, listTables } from './catalog.js';
import type { DbState } from './state.js';

const PREFIX = 'postgres-schema://';
const ctrl = () => ({ timeoutMs: 15_000, signal: new AbortController().signal });

export const tableResource: ResourceTemplateDef<DbState> = {
  name: 'table-schema',
  title: 'Table schema',
  uriTemplate: `${PREFIX}{schema}/{table}`,
  description: 'The columns, keys, indexes and comments of one table, as JSON (the same as describe_table).',
  mimeType: 'application/json',
  match(uri) {
    if (!uri.startsWith(PREFIX)) return undefined;
    const [schema, table, ...rest] = uri.slice(PREFIX.length).split('/');
    if (!schema || !table || rest.length) return undefined;
    return { schema: decodeURIComponent(schema), table: decodeURIComponent(table) };
  },
  async read({ schema, table }, state, { uri }) {
    const d = await (await state.backend()).read((s) => describeTable(s, table, schema), ctrl());
    return [{ uri, mimeType: 'application/json', text: JSON.stringify(d, null, 2) }];
  },
  async list(state) {
    const { tables } = await (await state.backend()).read((s) => listTables(s, undefined, undefined, 200, 0), ctrl());
    return tables.map((t) => ({ uri: `${PREFIX}${encodeURIComponent(t.schema)}/${encodeURIComponent(t.name)}`, name: `${t.schema}.${t.name}`, mimeType: 'application/json', description: t.comment }));
  },
};

const user = (text: string) => ({ role: 'user' as const, content: { type: 'text' as const, text } });

export const prompts: PromptDef<DbState>[] = [
  {
    name: 'analyze_data',
    title: 'Analyze data',
    description: 'Analyse a table or a query result: structure, quality, distributions, notable facts.',
    arguments: [{ name: 'data_source', description: 'A table name (schema.table) or a SELECT statement', required: true }],
    get: async ({ data_source }) => ({
      description: `Analysis of ${data_source}`,
      messages: [
        user(
          `Analyse this data source: ${data_source}\n\n` +
            '1. If it is a table, call describe_table, then sample_rows; if it is a query, run it with execute_query (max_rows 200).\n' +
            '2. Describe the columns, keys and what one row represents.\n' +
            '3. Check data quality with aggregate queries: NULL counts, duplicates on natural keys, out-of-range values.\n' +
            '4. Summarise distributions (counts by category, min/max/avg of amounts and dates) with GROUP BY queries, never by reading every row.\n' +
            '5. Report the three most useful findings, each with the SQL that shows it.',
        ),
      ],
    }),
  },
  {
    name: 'explore_database',
    title: 'Explore an unknown database',
    description: 'A step-by-step walk through an unfamiliar database: schemas, main tables, relationships, sizes.',
    arguments: [{ name: 'focus', description: 'Optional topic to focus on (e.g. "billing")' }],
    get: async ({ focus }) => ({
      messages: [
        user(
          `Explore this PostgreSQL database${focus ? `, focusing on ${focus}` : ''}.\n\n` +
            '1. list_schemas, then list_tables (largest estimatedRows first matters most).\n' +
            `2. ${focus ? `search_objects with "${focus}" to find the relevant tables and columns; ` : ''}describe_table for the 3–5 central tables.\n` +
            '3. Follow foreign keys to draw the relationships (which table references which).\n' +
            '4. sample_rows on each central table to see real values.\n' +
            '5. Summarise: what the database is for, the core entities and how they relate, and 3 example queries that answer typical questions. All queries are read-only.',
        ),
      ],
    }),
  },
];
