// Browser discovery per platform (src/chromium.ts), with each platform's rules and a fake file
// system: CHROMIUM_PATH first, then the installed Chromium, Chrome and Edge where their installers
// put them, and an error naming what was tried.
import { describe, expect, it } from 'vitest';
import { candidates, findChromium } from '../src/chromium.js';

const only =
  (...present: string[]) =>
  (p: string) =>
    present.includes(p);

describe('finding a browser', () => {
  it('CHROMIUM_PATH wins, and a wrong one is named, not silently replaced', () => {
    expect(findChromium({ platform: 'linux', env: { CHROMIUM_PATH: '/opt/c/chrome' }, home: '/home/a', exists: only('/opt/c/chrome', '/usr/bin/chromium') })).toEqual({
      path: '/opt/c/chrome',
      how: 'CHROMIUM_PATH',
    });
    expect(findChromium({ platform: 'linux', env: { CHROMIUM_PATH: '/nope' }, home: '/home/a', exists: only('/usr/bin/chromium') })).toEqual({
      missing: 'CHROMIUM_PATH is /nope, which does not exist',
    });
  });

  it('Linux: Debian Chromium, then Chrome, then Edge', () => {
    expect(findChromium({ platform: 'linux', env: {}, home: '/home/a', exists: only('/usr/bin/chromium', '/usr/bin/google-chrome') })).toMatchObject({ path: '/usr/bin/chromium' });
    expect(findChromium({ platform: 'linux', env: {}, home: '/home/a', exists: only('/opt/google/chrome/chrome') })).toMatchObject({ path: '/opt/google/chrome/chrome', how: 'the installed chrome' });
    expect(findChromium({ platform: 'linux', env: {}, home: '/home/a', exists: only('/usr/bin/microsoft-edge') })).toMatchObject({ path: '/usr/bin/microsoft-edge' });
  });

  it('macOS: the app bundles in /Applications and ~/Applications', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    const userEdge = '/Users/ana/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge';
    expect(findChromium({ platform: 'darwin', env: {}, home: '/Users/ana', exists: only(chrome, userEdge) })).toMatchObject({ path: chrome });
    expect(findChromium({ platform: 'darwin', env: {}, home: '/Users/ana', exists: only(userEdge) })).toMatchObject({ path: userEdge, how: 'the installed msedge' });
  });

  it('Windows: Program Files, Program Files (x86) and the per-user install, from the environment', () => {
    const env = { PROGRAMFILES: 'D:\\Apps', 'PROGRAMFILES(X86)': 'D:\\Apps86', LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' };
    const userChrome = 'C:\\Users\\ana\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe';
    const edge = 'D:\\Apps86\\Microsoft\\Edge\\Application\\msedge.exe';
    expect(findChromium({ platform: 'win32', env, home: 'C:\\Users\\ana', exists: only(userChrome, edge) })).toMatchObject({ path: userChrome });
    expect(findChromium({ platform: 'win32', env, home: 'C:\\Users\\ana', exists: only(edge) })).toMatchObject({ path: edge });
    // without the variables, the usual locations
    expect(candidates({ platform: 'win32', env: {}, home: 'C:\\Users\\ana' }).map((c) => c.path)).toContain('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe');
  });

  it('none found: the message names every place tried and how to fix it', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const r = findChromium({ platform, env: {}, home: platform === 'win32' ? 'C:\\Users\\a' : '/home/a', exists: () => false });
      expect('missing' in r && r.missing).toMatch(/no Chromium, Chrome or Edge found \(tried .+\): .*set CHROMIUM_PATH/);
      for (const c of candidates({ platform, env: {}, home: platform === 'win32' ? 'C:\\Users\\a' : '/home/a' })) expect('missing' in r && r.missing).toContain(c.path);
    }
  });
});
