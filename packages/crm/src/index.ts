import { runMain } from '@bizmcp/core';
import server from './server.js';

void runMain(server);
