// The server itself, loaded by index.ts once the embedded database's worker has been started.
import { runMain } from '@bizmcp/core';
import server from './server.js';

void runMain(server);
