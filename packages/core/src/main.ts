// The entry point of every server binary: parse the command line and environment, print help or
// version, build the server, serve stdio (default) or Streamable HTTP, and shut down cleanly.
import { COMMON_ENV, ConfigError, parseArgv, renderHelp } from './config.js';
import type { HttpHandle } from './http.js';
import { binName, buildServer, renderToolsets, type BuiltServer, type ServerDef } from './server.js';
import { RobustStdioTransport } from './stdio.js';

const SHUTDOWN_BUDGET_MS = 2000;

export async function runMain(def: ServerDef, argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const bin = binName(def);
  const fail = (msg: string): never => {
    process.stderr.write(`${bin}: ${msg}\n`);
    process.exit(1);
  };

  if (def.auth && argv[0] === 'auth') {
    const { runAuthCommand } = await import('./auth/flow.js');
    process.exit(await runAuthCommand({ server: def.name, flow: def.auth }, argv));
  }
  let built: BuiltServer;
  try {
    const peek = parseArgv(argv, env, def.options ?? {}, Boolean(def.positionals));
    if (peek.flags.help) {
      process.stderr.write(
        renderHelp({
          bin,
          title: def.title,
          description: def.description,
          version: def.version,
          options: def.options ?? {},
          env: def.env,
          positionals: def.positionals,
          sections: [
            renderToolsets(def),
            ...(def.auth
              ? [[`Subcommand: ${bin} auth [login|status|logout] [--account NAME]: authorise this server once in a browser and store the refresh token (0600, in the user's config directory).`]]
              : []),
          ],
        }),
      );
      process.exit(0);
    }
    if (peek.flags.version) {
      process.stderr.write(`${bin} ${def.version}\n`);
      process.exit(0);
    }
    built = buildServer(def, { argv, env });
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    return fail(`cannot start: ${(e as Error).message ?? String(e)}`);
  }

  const log = built.log;
  // A tool call never crashes the process: stray errors are logged and the server keeps serving.
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

  let http: HttpHandle | undefined;
  let stopping = false;
  const shutdown = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.debug({ why }, 'shutting down');
    const hard = setTimeout(() => {
      log.warn('shutdown took longer than 2 s; exiting anyway');
      process.exit(code);
    }, SHUTDOWN_BUDGET_MS);
    hard.unref();
    await Promise.allSettled([built.close(), http?.close()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  if (built.common.http) {
    try {
      const { serveHttp } = await import('./http.js');
      http = await serveHttp(built);
    } catch (e) {
      fail(`cannot listen on ${built.common.http.host}:${built.common.http.port}: ${(e as Error).message}`);
    }
    return;
  }
  const transport = new RobustStdioTransport(process.stdin, process.stdout);
  const session = built.createSession({ transport: 'stdio' });
  session.closedSignal.addEventListener('abort', () => void shutdown('stdin closed'));
  session.sdk.onerror = (err) => log.debug({ err: err.message }, 'transport error');
  await session.connect(transport);
  log.debug({ tools: built.tools.length }, 'serving MCP on stdio');
}

export { COMMON_ENV };
