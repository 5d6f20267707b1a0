// The sandbox's lexical decisions under each platform's path rules (sandbox/platform.ts), checked
// here on Linux with the rules set as Windows and macOS have them: what a real machine of that kind
// needs decided (refused spelling, inside which root, or outside).
import { describe, expect, it } from 'vitest';
import { decide, PLATFORM_RULES } from '../src/sandbox/platform.js';

type Want = 'refused' | 'outside' | string; // a string other than those two: the root it falls under

const WIN_ROOTS = ['C:\\Users\\me\\Projects', '\\\\fileserver\\shared\\team', 'D:\\Data'];
const windows: [string, string, Want][] = [
  ['plain file in the root', 'C:\\Users\\me\\Projects\\a.txt', 'C:\\Users\\me\\Projects'],
  ['drive letter in lower case', 'c:\\Users\\me\\Projects\\a.txt', 'C:\\Users\\me\\Projects'],
  ['every component in another case', 'C:\\USERS\\ME\\PROJECTS\\A.TXT', 'C:\\Users\\me\\Projects'],
  ['forward slashes', 'C:/Users/me/Projects/sub/a.txt', 'C:\\Users\\me\\Projects'],
  ['mixed slashes', 'C:\\Users/me\\Projects/sub\\a.txt', 'C:\\Users\\me\\Projects'],
  ['doubled separators', 'C:\\\\Users\\\\me\\Projects\\\\a.txt', 'C:\\Users\\me\\Projects'],
  ['the root itself', 'C:\\Users\\me\\Projects', 'C:\\Users\\me\\Projects'],
  ['the root with a trailing separator', 'C:\\Users\\me\\Projects\\', 'C:\\Users\\me\\Projects'],
  ['dot segments that stay inside', 'C:\\Users\\me\\Projects\\a\\..\\b\\.\\c.txt', 'C:\\Users\\me\\Projects'],
  ['dot-dot out of the root', 'C:\\Users\\me\\Projects\\..\\Secrets\\a.txt', 'outside'],
  ['dot-dot out, other case', '/users/ME/projects/../Secrets', 'outside'],
  ['a sibling with the root as prefix', 'C:\\Users\\me\\Projects-evil\\a.txt', 'outside'],
  ['a sibling with the root as prefix, other case', 'c:\\users\\me\\projects-EVIL', 'outside'],
  ['the parent of the root', 'C:\\Users\\me', 'outside'],
  ['another drive', 'E:\\Users\\me\\Projects\\a.txt', 'outside'],
  ['the second root on D:', 'd:\\data\\x.csv', 'D:\\Data'],
  ['UNC share root', '\\\\fileserver\\shared\\team\\plan.docx', '\\\\fileserver\\shared\\team'],
  ['UNC share in another case and with slashes', '//FILESERVER/Shared/Team/plan.docx', '\\\\fileserver\\shared\\team'],
  ['another share on the same server', '\\\\fileserver\\shared\\other\\plan.docx', 'outside'],
  ['another server', '\\\\evil\\shared\\team\\plan.docx', 'outside'],
  ['dot-dot from the share', '\\\\fileserver\\shared\\team\\..\\hr\\pay.xlsx', 'outside'],
  ['verbatim prefix', '\\\\?\\C:\\Users\\me\\Projects\\a.txt', 'refused'],
  ['verbatim prefix with forward slashes', '//?/C:/Users/me/Projects/a.txt', 'refused'],
  ['device namespace', '\\\\.\\C:\\Users\\me\\Projects\\a.txt', 'refused'],
  ['device namespace to a pipe', '\\\\.\\pipe\\secret', 'refused'],
  ['NT object prefix', '\\??\\C:\\Users\\me\\Projects\\a.txt', 'refused'],
  ['drive-relative path', 'C:Projects\\a.txt', 'refused'],
  ['trailing dot (opens the name without it)', 'C:\\Users\\me\\Projects\\secret.txt.', 'refused'],
  ['trailing space', 'C:\\Users\\me\\Projects\\secret.txt ', 'refused'],
  ['trailing dots and spaces on a directory', 'C:\\Users\\me\\Projects\\sub. .\\a.txt', 'refused'],
  ['alternate data stream', 'C:\\Users\\me\\Projects\\file.txt:hidden', 'refused'],
  ['alternate data stream with type', 'C:\\Users\\me\\Projects\\file.txt::$DATA', 'refused'],
  ['reserved name CON', 'C:\\Users\\me\\Projects\\CON', 'refused'],
  ['reserved name with an extension', 'C:\\Users\\me\\Projects\\nul.txt', 'refused'],
  ['reserved name COM1 in lower case', 'C:\\Users\\me\\Projects\\sub\\com1', 'refused'],
  ['reserved name LPT9 with extension', 'C:\\Users\\me\\Projects\\LPT9.log', 'refused'],
  ['reserved name with superscript digit', 'C:\\Users\\me\\Projects\\COM¹', 'refused'],
  ['8.3 short name of a directory', 'C:\\Users\\me\\PROJEC~1\\a.txt', 'refused'],
  ['8.3 short name of a file', 'C:\\Users\\me\\Projects\\REPORT~2.DOC', 'refused'],
  ['a name with a wildcard character', 'C:\\Users\\me\\Projects\\a*.txt', 'refused'],
  ['a name with a pipe character', 'C:\\Users\\me\\Projects\\a|b', 'refused'],
  ['a name that only contains a tilde', 'C:\\Users\\me\\Projects\\~notes.txt', 'C:\\Users\\me\\Projects'],
  ['a relative path', 'Projects\\a.txt', 'refused'],
  ['CONFIG is not reserved', 'C:\\Users\\me\\Projects\\CONFIG', 'C:\\Users\\me\\Projects'],
];

const MAC_ROOTS = ['/Users/me/Projects', '/Users/me/Café'];
const cafeNfd = 'Cafe\u0301';
const cases: [string, 'darwin' | 'linux', string, Want][] = [
  ['same case', 'darwin', '/Users/me/Projects/a.txt', '/Users/me/Projects'],
  ['all lower case', 'darwin', '/users/me/projects/a.txt', '/Users/me/Projects'],
  ['all upper case', 'darwin', '/USERS/ME/PROJECTS/A.TXT', '/Users/me/Projects'],
  ['other case, then out by dot-dot', 'darwin', '/users/ME/projects/../Secrets', 'outside'],
  ['prefix sibling in another case', 'darwin', '/Users/me/projects-evil/a.txt', 'outside'],
  ['prefix sibling, same case', 'darwin', '/Users/me/Projects-evil', 'outside'],
  ['the root itself in another case', 'darwin', '/USERS/me/projects', '/Users/me/Projects'],
  ['composed é matches a composed root', 'darwin', '/Users/me/Café/menu.pdf', '/Users/me/Café'],
  ['decomposed é matches a composed root', 'darwin', `/Users/me/${cafeNfd}/menu.pdf`, '/Users/me/Café'],
  ['decomposed and upper case', 'darwin', `/USERS/ME/${cafeNfd.toUpperCase()}/MENU.PDF`, '/Users/me/Café'],
  ['decomposed sibling with a suffix', 'darwin', `/Users/me/${cafeNfd}-old/menu.pdf`, 'outside'],
  ['dotted I is not the root', 'darwin', '/Users/me/Projects\u0130/a', 'outside'],
  ['dot-dot inside, other case', 'darwin', '/users/me/PROJECTS/a/../b.txt', '/Users/me/Projects'],
  ['no Windows rules on macOS: a trailing dot is a name', 'darwin', '/Users/me/Projects/secret.txt.', '/Users/me/Projects'],
  ['another case is another directory', 'linux', '/users/me/projects/a.txt', 'outside'],
  ['upper case root component', 'linux', '/Users/me/PROJECTS/a.txt', 'outside'],
  ['same case', 'linux', '/Users/me/Projects/a.txt', '/Users/me/Projects'],
  ['decomposed é is another name', 'linux', `/Users/me/${cafeNfd}/menu.pdf`, 'outside'],
  ['composed é', 'linux', '/Users/me/Café/menu.pdf', '/Users/me/Café'],
  ['prefix sibling', 'linux', '/Users/me/Projects-evil', 'outside'],
  ['a backslash is part of a name (a sibling, not a way down)', 'linux', '/Users/me/Projects\\..\\Secrets', 'outside'],
];

function outcome(d: ReturnType<typeof decide>): Want {
  if ('refused' in d) return 'refused';
  return d.root ?? 'outside';
}

describe('path decisions under each platform’s rules', () => {
  it('has the tables the platforms need (40+ Windows spellings, 20+ case and normalisation cases)', () => {
    expect(windows.length).toBeGreaterThanOrEqual(40);
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });
  for (const [what, input, want] of windows) {
    it(`Windows: ${what}`, () => {
      expect(outcome(decide(PLATFORM_RULES.win32, WIN_ROOTS, input))).toBe(want);
    });
  }
  for (const [what, platform, input, want] of cases) {
    it(`${platform === 'darwin' ? 'macOS' : 'Linux'}: ${what}`, () => {
      expect(outcome(decide(PLATFORM_RULES[platform], MAC_ROOTS, input))).toBe(want);
    });
  }
});
