// The bin: Node's compile cache, then the server (core's entry.ts).
import { runBin } from '@bizmcp/core/entry';

await runBin(() => import('./server.js'));
