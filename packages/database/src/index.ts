// The embedded database's worker starts first: it loads PGlite while the server (main.ts) loads.
import { prestartPglite } from './pglite-worker.js';

prestartPglite();
await import('./main.js');
