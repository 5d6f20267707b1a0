// What a server's bin runs (`src/index.ts`): Node's compile cache first, then the server. V8 keeps
// the code it compiled from the bundle in a directory of the user's own, so a later start skips
// most of the compiling (13-27 ms of a 140-190 ms start on the development machine). It must be
// turned on before the bundle is loaded, so this module stays small: core and the server are
// imported by `runBin` after it.
//
// A V8 code cache is trusted input: it is only read from a directory this user owns and nobody
// else can write (never the shared temporary directory Node would pick by default). Node checks
// each entry against the source it was compiled from, so a new version never runs stale code.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; a NODE_COMPILE_CACHE set by the user wins.
import { mkdirSync, statSync } from 'node:fs';
import * as module from 'node:module';
import * as path from 'node:path';
import { bizmcpCacheDir } from './places.js';
import type { ServerDef } from './registry.js';

/**
 * A server's bin: turns on the compile cache, runs `first` (work that should start before the
 * server's code loads, such as the embedded database's worker), then loads core and the server
 * together and runs it.
 */
export async function runBin(loadServer: () => Promise<{ default: ServerDef<any, any> }>, first?: () => void): Promise<void> {
  enableCodeCache();
  first?.();
  const [{ runMain }, { default: server }] = await Promise.all([import('./main.js'), loadServer()]);
  await runMain(server);
}

/**
 * Turns on Node's compile cache in `<bizmcp cache dir>/node-compile-cache`, created 0700. Never
 * throws: a directory that cannot be made, or that another user owns or others can write to, only
 * means starting without the cache (as on a Node without it, before 22.1).
 */
export function enableCodeCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  // with NODE_COMPILE_CACHE set, Node turned it on itself before any code ran
  if (typeof enable !== 'function' || env.NODE_COMPILE_CACHE) return;
  try {
    const dir = path.join(bizmcpCacheDir({ env }), 'node-compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (process.platform !== 'win32' && (st.mode & 0o022) !== 0)) return;
    enable(dir);
  } catch {
    // starts without the cache
  }
}
