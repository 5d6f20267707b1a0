// The bin: Node's compile cache, then the embedded database's worker, which loads PGlite while the
// server's code loads, then the server (core's entry.ts).
import { runBin } from '@bizmcp/core/entry';
import { prestartPglite } from './pglite-worker.js';

await runBin(() => import('./server.js'), prestartPglite);
