import server from './server.js';
import { runMain } from '@bizmcp/core';

void runMain(server);
