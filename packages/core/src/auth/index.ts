// OAuth for the servers in front of a SaaS API: the token store, access tokens refreshed in one
// place (refresh-token and JWT bearer grants), and the `auth` subcommand's loopback PKCE flow.
export * from './token-store.js';
export * from './oauth.js';
export * from './flow.js';
