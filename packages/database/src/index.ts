// The bin: Node's compile cache is turned on (core's entry.ts), then the embedded database's worker
// starts, so it loads PGlite while the server (main.ts) loads.
import { enableCodeCache } from '@bizmcp/core/entry';
import { prestartPglite } from './pglite-worker.js';

enableCodeCache();
prestartPglite();
await import('./main.js');
