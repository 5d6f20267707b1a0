// Search tools: file names by glob, and file contents by regex or literal text, both streaming
// over the tree (never holding it in memory) with result caps and offsets.
import { z } from 'zod';
import { annotations, ToolError } from '@bizmcp/core';
import { globMatcher, looksBinary } from '../files.js';
import { sandboxOf, tool } from '../state.js';

const pathArg = z.string().min(1).max(4096);
const globs = z.array(z.string().min(1).max(500)).max(100);

export const searchFiles = tool({
  name: 'search_files',
  toolset: 'search',
  title: 'Find files by name',
  description:
    'Find files and directories under a directory whose name matches a glob (case-insensitive): a pattern without "/" matches names at any depth ("*.ts", "report*"), a pattern with "/" matches the path relative to the search directory ("src/**/*.test.ts"). excludePatterns prune whole subtrees ("node_modules", ".git"). Symbolic links are not followed. At most maxResults (default 200); truncated with nextOffset when more exist.',
  input: z.object({
    path: pathArg,
    pattern: z.string().min(1).max(500),
    excludePatterns: globs.default([]),
    maxResults: z.number().int().min(1).max(10_000).default(200),
    offset: z.number().int().min(0).default(0),
  }),
  output: z.object({ matches: z.array(z.string()), truncated: z.boolean(), nextOffset: z.number().optional(), scanned: z.number() }),
  annotations: annotations.read(),
  text: (r) => (r.matches.length ? r.matches.join('\n') : 'No matches') + (r.truncated ? `\n[more results: offset ${r.nextOffset}]` : ''),
  run: async ({ path, pattern, excludePatterns, maxResults, offset }, ctx) => {
    const match = await globMatcher([pattern], { nocase: true });
    const exclude = await globMatcher(excludePatterns);
    const matches: string[] = [];
    let seen = 0;
    let scanned = 0;
    let truncated = false;
    for await (const e of sandboxOf(ctx).walk(path, { signal: ctx.signal, prune: (rel) => exclude(rel) })) {
      scanned++;
      if (!match(e.rel)) continue;
      if (seen++ < offset) continue;
      if (matches.length >= maxResults) {
        truncated = true;
        break;
      }
      matches.push(e.path);
    }
    ctx.checkAborted();
    return { matches, truncated, ...(truncated ? { nextOffset: offset + matches.length } : {}), scanned };
  },
});

const MAX_LINE = 2000;

export const searchFileContents = tool({
  name: 'search_file_contents',
  toolset: 'search',
  title: 'Search inside files',
  description:
    'Search the text of files under a directory (like grep -rn): a literal string (default) or a regular expression (regex: true, JavaScript syntax), case-insensitive unless caseSensitive: true. include/exclude are file-name globs (e.g. include ["*.ts"], exclude ["node_modules", "*.min.js"]). Binary files and files over maxFileBytes (default 5 MB) are skipped. Returns matching lines with line numbers and optional context lines (0-5), at most maxResults matches (default 100) with truncated/nextOffset. Each file is read whole (so at most maxFileBytes of memory per file); long lines are cut to 2000 characters. Sends progress notifications.',
  input: z.object({
    path: pathArg,
    query: z.string().min(1).max(1000),
    regex: z.boolean().default(false),
    caseSensitive: z.boolean().default(false),
    include: globs.default([]),
    exclude: globs.default([]),
    contextLines: z.number().int().min(0).max(5).default(0),
    maxResults: z.number().int().min(1).max(5000).default(100),
    maxFileBytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024)
      .default(5 * 1024 * 1024)
      .describe('Skip files larger than this (max 64 MB)'),
    offset: z.number().int().min(0).default(0),
  }),
  output: z.object({
    matches: z.array(z.object({ path: z.string(), line: z.number(), text: z.string(), before: z.array(z.string()).optional(), after: z.array(z.string()).optional() })),
    filesScanned: z.number(),
    filesSkipped: z.number(),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: annotations.read(),
  text: (r) =>
    r.matches
      .map((m) =>
        [
          ...(m.before ?? []).map((b, i) => `${m.path}-${m.line - (m.before!.length - i)}-${b}`),
          `${m.path}:${m.line}:${m.text}`,
          ...(m.after ?? []).map((a, i) => `${m.path}-${m.line + i + 1}-${a}`),
        ].join('\n'),
      )
      .join('\n') + `\n[${r.matches.length} matches in ${r.filesScanned} files${r.truncated ? `; more: offset ${r.nextOffset}` : ''}]`,
  run: async (args, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(args.regex ? args.query : args.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), args.caseSensitive ? '' : 'i');
    } catch (e) {
      throw new ToolError(`query: invalid regular expression: ${(e as Error).message}`, { code: 'invalid_argument' });
    }
    const include = args.include.length ? await globMatcher(args.include) : () => true;
    const exclude = await globMatcher(args.exclude);
    const ctxN = args.contextLines;
    type Match = { path: string; line: number; text: string; before?: string[]; after?: string[] };
    const matches: Match[] = [];
    let skippedMatches = 0;
    let filesScanned = 0;
    let filesSkipped = 0;
    let truncated = false;
    const sb = sandboxOf(ctx);
    const cut = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE) + '…' : s);
    // The walk reads each file itself, synchronously, through its checked directory descriptor (no
    // link followed), a batch of a directory's files at a time: for many small files this is an
    // order of magnitude faster than a chain of async calls per file (the walk gives the event loop
    // back every few milliseconds). Files the include globs leave out are pruned, never read. A
    // literal query is first looked for in the raw bytes, so a file that cannot match is never
    // decoded.
    const needle = args.regex ? undefined : rawNeedle(args.query, args.caseSensitive);
    const walkOpts = {
      signal: ctx.signal,
      prune: (rel: string, entry: { isFile(): boolean }) => exclude(rel) || (entry.isFile() && !include(rel)),
      readFiles: { maxBytes: args.maxFileBytes },
    };

    walk: for await (const e of sb.walk(args.path, walkOpts)) {
      if (!e.entry.isFile()) continue;
      const data = e.content;
      if (!data) {
        filesSkipped++;
        continue;
      }
      if (looksBinary(data.subarray(0, 8000))) {
        filesSkipped++;
        continue;
      }
      filesScanned++;
      if (filesScanned % 2000 === 0) await ctx.progress(filesScanned, undefined, `${filesScanned} files scanned, ${matches.length} matches`);
      if (needle && data.indexOf(needle) < 0) continue;
      const text = data.toString('utf8');
      if (!args.regex && !args.caseSensitive && !needle) {
        // literal search without a caseless part to look for in the bytes: skip files that cannot
        // match before splitting them into lines
        if (!text.toLowerCase().includes(args.query.toLowerCase())) continue;
      }
      const lines = text.split('\n');
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
        if (!re.test(line.length > 10 * MAX_LINE ? line.slice(0, 10 * MAX_LINE) : line)) continue;
        if (skippedMatches < args.offset) {
          skippedMatches++;
          continue;
        }
        if (matches.length >= args.maxResults) {
          truncated = true;
          break walk;
        }
        const m: Match = { path: e.path, line: i + 1, text: cut(line) };
        if (ctxN) {
          m.before = lines.slice(Math.max(0, i - ctxN), i).map((l) => cut(l.replace(/\r$/, '')));
          m.after = lines.slice(i + 1, i + 1 + ctxN).map((l) => cut(l.replace(/\r$/, '')));
        }
        matches.push(m);
      }
    }
    ctx.checkAborted();
    return { matches, filesScanned, filesSkipped, truncated, ...(truncated ? { nextOffset: args.offset + matches.length } : {}) };
  },
});

/**
 * What a literal query's matches must contain byte for byte: the whole query when the search is
 * case-sensitive, else its longest run of ASCII characters that have no case (digits, spaces,
 * punctuation; no other character folds to one of them), when at least 2 long. Undefined when
 * there is none: the file is then decoded and compared in lower case.
 */
function rawNeedle(query: string, caseSensitive: boolean): Buffer | undefined {
  if (caseSensitive) return Buffer.from(query);
  const runs = query.match(/[\x20-\x40\x5b-\x60\x7b-\x7e]{2,}/g) ?? [];
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest ? Buffer.from(longest) : undefined;
}

export const searchTools = [searchFiles, searchFileContents];
