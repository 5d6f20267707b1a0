// Where Claude Desktop reads its configuration, per platform (pure over its inputs, so every
// platform's answer is tested on any machine: test/claude-config.test.ts).
import path from 'node:path';

export function claudeConfigFile({ platform = process.platform, env = process.env, home } = {}) {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
  if (platform === 'win32') return p.join(env.APPDATA || p.join(home, 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
  return p.join(env.XDG_CONFIG_HOME || p.join(home, '.config'), 'Claude', 'claude_desktop_config.json');
}
