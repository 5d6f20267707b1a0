// The bin: Node's compile cache is turned on before the server's code is loaded (core's entry.ts).
import { enableCodeCache } from '@bizmcp/core/entry';

enableCodeCache();
const [{ runMain }, { default: server }] = await Promise.all([import('@bizmcp/core'), import('./server.js')]);
void runMain(server);
