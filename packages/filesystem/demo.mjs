// Demo plan for scripts/demo.mjs: a temporary directory with a few business files.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default {
  async prepare() {
    const dir = mkdtempSync(join(tmpdir(), 'bizmcp-demo-fs-'));
    mkdirSync(join(dir, 'invoices'));
    writeFileSync(join(dir, 'README.md'), '# Acme shared drive\n\nInvoices live in invoices/, one CSV per month.\n');
    writeFileSync(join(dir, 'invoices', '2026-10.csv'), 'id,customer,amount\n101,Globex,1200.00\n102,Initech,310.50\n');
    writeFileSync(join(dir, 'invoices', '2026-11.csv'), 'id,customer,amount\n103,Globex,980.00\n104,Umbrella,45.00\n');
    return {
      note: `on a temporary directory ${dir}`,
      args: [dir],
      calls: [
        { name: 'list_allowed_directories' },
        { name: 'directory_tree', arguments: { path: dir } },
        { name: 'read_text_file', arguments: { path: join(dir, 'invoices', '2026-11.csv'), tail: 2 } },
        { name: 'search_file_contents', arguments: { path: dir, query: 'Globex' } },
        { name: 'edit_file', arguments: { path: join(dir, 'README.md'), edits: [{ oldText: 'one CSV per month', newText: 'one CSV per month (UTF-8)' }], dryRun: true } },
        { name: 'read_text_file', arguments: { path: '/etc/passwd' }, expectError: true },
      ],
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};
