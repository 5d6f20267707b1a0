// What a server's bin runs before it loads the server: Node's compile cache. V8 keeps the code it
// compiled from the bundle in a directory of the user's own, so a later start skips most of the
// compiling (13-27 ms of a 140-190 ms start on the development machine). It must be turned on
// before the bundle is loaded, so this module stays small (the bin imports the server after it).
//
// A V8 code cache is trusted input: it is only read from a directory this user owns and nobody
// else can write (never the shared temporary directory Node would pick by default). Node checks
// each entry against the source it was compiled from, so a new version never runs stale code.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; a NODE_COMPILE_CACHE set by the user wins.
import { mkdirSync, statSync } from 'node:fs';
import * as module from 'node:module';
import * as path from 'node:path';
import { bizmcpCacheDir } from './places.js';

export type CodeCacheState = 'enabled' | 'already enabled' | 'disabled' | 'unavailable' | 'refused' | 'failed';

/**
 * Turns on Node's compile cache in `<bizmcp cache dir>/node-compile-cache`, created 0700. Never
 * throws: a directory that cannot be made, or that another user owns or others can write to, only
 * means starting without the cache.
 */
export function enableCodeCache(env: NodeJS.ProcessEnv = process.env): CodeCacheState {
  const enable = (module as { enableCompileCache?: (dir?: string) => { status: number } }).enableCompileCache;
  if (typeof enable !== 'function') return 'unavailable'; // Node before 22.1
  if (env.NODE_COMPILE_CACHE) return stateOf(enable().status); // the user's own choice
  try {
    const dir = path.join(bizmcpCacheDir({ env }), 'node-compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (process.platform !== 'win32' && (st.mode & 0o022) !== 0)) return 'refused';
    return stateOf(enable(dir).status);
  } catch {
    return 'failed';
  }
}

function stateOf(status: number): CodeCacheState {
  const c = (module as { constants?: { compileCacheStatus?: Record<string, number> } }).constants?.compileCacheStatus;
  if (!c) return 'failed';
  return status === c.ENABLED ? 'enabled' : status === c.ALREADY_ENABLED ? 'already enabled' : status === c.DISABLED ? 'disabled' : 'failed';
}
