// Demo plan: the embedded PGlite database in a temporary data directory, loaded with the sample
// business schema (customers, orders, invoices, payments).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default {
  async prepare() {
    const dir = mkdtempSync(join(tmpdir(), 'bizmcp-demo-db-'));
    return {
      note: 'embedded PGlite with the sample business schema',
      args: ['--sample-data'],
      env: { BIZMCP_DATA_DIR: dir },
      calls: [
        { name: 'list_tables' },
        { name: 'describe_table', arguments: { table: 'invoices' } },
        {
          name: 'execute_query',
          arguments: {
            sql: `SELECT c.name, count(i.*) AS invoices, sum(i.amount) AS invoiced, coalesce(sum(p.amount), 0) AS paid
                    FROM customers c JOIN orders o ON o.customer_id = c.id JOIN invoices i ON i.order_id = o.id
                    LEFT JOIN payments p ON p.invoice_id = i.id
                   GROUP BY c.name ORDER BY invoiced DESC`,
          },
        },
        { name: 'execute_query', arguments: { sql: 'SELECT 1; DROP TABLE customers' }, expectError: true },
      ],
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};
