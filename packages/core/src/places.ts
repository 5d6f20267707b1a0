// Where bizmcp keeps its files, per platform (the conventions each system's users expect):
//   configuration (OAuth tokens):  Linux $XDG_CONFIG_HOME/bizmcp or ~/.config/bizmcp;
//                                  macOS ~/Library/Application Support/bizmcp; Windows %APPDATA%\bizmcp
//   data (the embedded database):  Linux $XDG_DATA_HOME/bizmcp or ~/.local/share/bizmcp;
//                                  macOS ~/Library/Application Support/bizmcp; Windows %LOCALAPPDATA%\bizmcp
//   cache (Node's compiled code):  Linux $XDG_CACHE_HOME/bizmcp or ~/.cache/bizmcp;
//                                  macOS ~/Library/Caches/bizmcp; Windows %LOCALAPPDATA%\bizmcp\Cache
// BIZMCP_CONFIG_DIR and BIZMCP_DATA_DIR (a server's own setting) override them. Pure over the
// platform, environment and home directory given, so each platform's answer is tested anywhere.
import * as os from 'node:os';
import * as path from 'node:path';

export interface PlaceInputs {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

function inputs(o: PlaceInputs) {
  const platform = o.platform ?? process.platform;
  return { env: o.env ?? process.env, platform, home: o.home ?? os.homedir(), p: platform === 'win32' ? path.win32 : path.posix };
}

/** The bizmcp configuration directory (servers keep their own folder inside it). */
export function bizmcpConfigDir(o: PlaceInputs = {}): string {
  const { env, platform, home, p } = inputs(o);
  if (env.BIZMCP_CONFIG_DIR) return p.resolve(env.BIZMCP_CONFIG_DIR);
  if (platform === 'win32') return p.join(env.APPDATA || p.join(home, 'AppData', 'Roaming'), 'bizmcp');
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'bizmcp');
  return p.join(env.XDG_CONFIG_HOME && p.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : p.join(home, '.config'), 'bizmcp');
}

/** The bizmcp data directory (servers keep their own folder inside it). */
export function bizmcpDataDir(o: PlaceInputs = {}): string {
  const { env, platform, home, p } = inputs(o);
  if (platform === 'win32') return p.join(env.LOCALAPPDATA || p.join(home, 'AppData', 'Local'), 'bizmcp');
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'bizmcp');
  return p.join(env.XDG_DATA_HOME && p.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : p.join(home, '.local', 'share'), 'bizmcp');
}

/** The bizmcp cache directory: what can be deleted at any time and is made again. */
export function bizmcpCacheDir(o: PlaceInputs = {}): string {
  const { env, platform, home, p } = inputs(o);
  if (platform === 'win32') return p.join(env.LOCALAPPDATA || p.join(home, 'AppData', 'Local'), 'bizmcp', 'Cache');
  if (platform === 'darwin') return p.join(home, 'Library', 'Caches', 'bizmcp');
  return p.join(env.XDG_CACHE_HOME && p.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : p.join(home, '.cache'), 'bizmcp');
}
