// Finding a Chromium-family browser for rendered pages, per platform, in this order:
//   1. CHROMIUM_PATH when set (used as given: a wrong path is an error that names it);
//   2. the installed browsers by channel, where their installers put them (Chromium, Chrome, Edge,
//      the same channels playwright-core knows), per platform;
//   3. nothing: the error names every place that was tried.
// Pure over its inputs (platform, environment, a file test), so each platform's answer is tested on
// any machine (test/chromium.test.ts).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface BrowserSearch {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
  exists?: (p: string) => boolean;
}

/** Where each channel's browser is installed, per platform, in the order they are tried. */
export function candidates({ platform, env, home }: BrowserSearch): { channel: string; path: string }[] {
  if (platform === 'win32') {
    const w = path.win32;
    const pf = env.PROGRAMFILES ?? 'C:\\Program Files';
    const pf86 = env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)';
    const local = env.LOCALAPPDATA ?? w.join(home, 'AppData', 'Local');
    return [
      { channel: 'chromium', path: w.join(local, 'Chromium', 'Application', 'chrome.exe') },
      { channel: 'chrome', path: w.join(pf, 'Google', 'Chrome', 'Application', 'chrome.exe') },
      { channel: 'chrome', path: w.join(pf86, 'Google', 'Chrome', 'Application', 'chrome.exe') },
      { channel: 'chrome', path: w.join(local, 'Google', 'Chrome', 'Application', 'chrome.exe') },
      { channel: 'msedge', path: w.join(pf86, 'Microsoft', 'Edge', 'Application', 'msedge.exe') },
      { channel: 'msedge', path: w.join(pf, 'Microsoft', 'Edge', 'Application', 'msedge.exe') },
    ];
  }
  if (platform === 'darwin') {
    const apps = ['/Applications', path.posix.join(home, 'Applications')];
    const app = (name: string, bin: string) => apps.map((a) => path.posix.join(a, `${name}.app`, 'Contents', 'MacOS', bin));
    return [
      ...app('Chromium', 'Chromium').map((p) => ({ channel: 'chromium', path: p })),
      ...app('Google Chrome', 'Google Chrome').map((p) => ({ channel: 'chrome', path: p })),
      ...app('Microsoft Edge', 'Microsoft Edge').map((p) => ({ channel: 'msedge', path: p })),
    ];
  }
  return [
    { channel: 'chromium', path: '/usr/bin/chromium' },
    { channel: 'chromium', path: '/usr/bin/chromium-browser' },
    { channel: 'chromium', path: '/snap/bin/chromium' },
    { channel: 'chrome', path: '/opt/google/chrome/chrome' },
    { channel: 'chrome', path: '/usr/bin/google-chrome' },
    { channel: 'chrome', path: '/usr/bin/google-chrome-stable' },
    { channel: 'msedge', path: '/opt/microsoft/msedge/msedge' },
    { channel: 'msedge', path: '/usr/bin/microsoft-edge' },
  ];
}

/** The browser to launch, or why there is none (naming what was tried). */
export function findChromium(search: BrowserSearch): { path: string; how: string } | { missing: string } {
  const exists = search.exists ?? existsSync;
  const given = search.env.CHROMIUM_PATH?.trim();
  if (given) return exists(given) ? { path: given, how: 'CHROMIUM_PATH' } : { missing: `CHROMIUM_PATH is ${given}, which does not exist` };
  const list = candidates(search);
  for (const c of list) if (exists(c.path)) return { path: c.path, how: `the installed ${c.channel}` };
  const hint =
    search.platform === 'win32' || search.platform === 'darwin' ? 'install Google Chrome, Microsoft Edge or Chromium' : 'install Chromium (Debian: apt-get install chromium) or Google Chrome';
  return { missing: `no Chromium, Chrome or Edge found (tried ${list.map((c) => c.path).join(', ')}): ${hint}, or set CHROMIUM_PATH` };
}
