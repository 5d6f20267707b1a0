// The dovecot test helper (implementation in mail-servers.mjs, shared with the demo and the bench):
// dovecot from a temporary configuration on a free high port, failing loudly when it is missing.
export { DOVECOT_BIN, freePort, startDovecot } from './mail-servers.mjs';
export type { Dovecot, StartOptions, TestUser } from './mail-servers.mjs';
