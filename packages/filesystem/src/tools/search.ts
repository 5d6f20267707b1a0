// Search tools: file names by glob, and file contents by regex or literal text, both streaming
// over the tree (never holding it in memory) with result caps and offsets.
import { z } from 'zod';
import { ToolError } from '@bizmcp/core';
import { globMatcher, looksBinary } from '../files.js';
import { tool } from '../state.js';

const pathArg = z.string().min(1).max(4096);
const globs = z.array(z.string().min(1).max(500)).max(100);

export const searchFiles = tool({
  name: 'search_files',
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
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  text: (r) => (r.matches.length ? r.matches.join('\n') : 'No matches') + (r.truncated ? `\n[more results: offset ${r.nextOffset}]` : ''),
  run: async ({ path, pattern, excludePatterns, maxResults, offset }, ctx) => {
    const match = globMatcher([pattern], { nocase: true });
    const exclude = globMatcher(excludePatterns);
    const matches: string[] = [];
    let seen = 0;
    let scanned = 0;
    let truncated = false;
    for await (const e of ctx.state.sandbox.walk(path, { signal: ctx.signal, prune: (rel) => exclude(rel) })) {
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
  title: 'Search inside files',
  description:
    'Search the text of files under a directory (like grep -rn): a literal string (default) or a regular expression (regex: true, JavaScript syntax), case-insensitive unless caseSensitive: true. include/exclude are file-name globs (e.g. include ["*.ts"], exclude ["node_modules", "*.min.js"]). Binary files and files over maxFileBytes (default 5 MB) are skipped. Returns matching lines with line numbers and optional context lines (0-5), at most maxResults matches (default 100) with truncated/nextOffset. Files are read as streams, one at a time; long lines are cut to 2000 characters. Sends progress notifications.',
  input: z.object({
    path: pathArg,
    query: z.string().min(1).max(1000),
    regex: z.boolean().default(false),
    caseSensitive: z.boolean().default(false),
    include: globs.default([]),
    exclude: globs.default([]),
    contextLines: z.number().int().min(0).max(5).default(0),
    maxResults: z.number().int().min(1).max(5000).default(100),
    maxFileBytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(5 * 1024 * 1024),
    offset: z.number().int().min(0).default(0),
  }),
  output: z.object({
    matches: z.array(z.object({ path: z.string(), line: z.number(), text: z.string(), before: z.array(z.string()).optional(), after: z.array(z.string()).optional() })),
    filesScanned: z.number(),
    filesSkipped: z.number(),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  text: (r) =>
    r.matches
      .map((m) => [...(m.before ?? []).map((b, i) => `${m.path}-${m.line - (m.before!.length - i)}-${b}`), `${m.path}:${m.line}:${m.text}`, ...(m.after ?? []).map((a, i) => `${m.path}-${m.line + i + 1}-${a}`)].join('\n'))
      .join('\n') + `\n[${r.matches.length} matches in ${r.filesScanned} files${r.truncated ? `; more: offset ${r.nextOffset}` : ''}]`,
  run: async (args, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(args.regex ? args.query : args.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), args.caseSensitive ? '' : 'i');
    } catch (e) {
      throw new ToolError(`query: invalid regular expression: ${(e as Error).message}`, { code: 'invalid_argument' });
    }
    const include = args.include.length ? globMatcher(args.include) : () => true;
    const exclude = globMatcher(args.exclude);
    const ctxN = args.contextLines;
    type Match = { path: string; line: number; text: string; before?: string[]; after?: string[] };
    const matches: Match[] = [];
    let skippedMatches = 0;
    let filesScanned = 0;
    let filesSkipped = 0;
    let truncated = false;
    const sb = ctx.state.sandbox;
    const cut = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE) + '…' : s);

    walk: for await (const e of sb.walk(args.path, { signal: ctx.signal, prune: (rel) => exclude(rel) })) {
      if (!e.entry.isFile() || !include(e.rel)) continue;
      let h;
      try {
        h = await sb.openWalked(e);
      } catch {
        filesSkipped++;
        continue;
      }
      try {
        const st = await h.stat();
        if (st.size > args.maxFileBytes) {
          filesSkipped++;
          continue;
        }
        filesScanned++;
        if (filesScanned % 500 === 0) await ctx.progress(filesScanned, undefined, `${filesScanned} files scanned, ${matches.length} matches`);
        const buf = Buffer.alloc(64 * 1024);
        let pos = 0;
        let carry = '';
        let lineNo = 0;
        const recent: string[] = [];
        const pendingAfter: Match[] = [];
        let first = true;
        const decoder = new TextDecoder('utf-8');
        for (;;) {
          const { bytesRead } = await h.read(buf, 0, buf.length, pos);
          if (first) {
            first = false;
            if (looksBinary(buf.subarray(0, bytesRead))) {
              filesScanned--;
              filesSkipped++;
              break;
            }
          }
          const eof = bytesRead === 0;
          pos += bytesRead;
          const piece = carry + (eof ? decoder.decode() : decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
          const lines = piece.split('\n');
          carry = eof ? '' : lines.pop()!;
          if (eof && lines.length && lines[lines.length - 1] === '') lines.pop();
          for (const raw of lines) {
            lineNo++;
            const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
            for (let i = pendingAfter.length - 1; i >= 0; i--) {
              pendingAfter[i].after!.push(cut(line));
              if (pendingAfter[i].after!.length >= ctxN) pendingAfter.splice(i, 1);
            }
            if (re.test(line.length > 10 * MAX_LINE ? line.slice(0, 10 * MAX_LINE) : line)) {
              if (skippedMatches < args.offset) skippedMatches++;
              else if (matches.length >= args.maxResults) {
                truncated = true;
                break walk;
              } else {
                const m: Match = { path: e.path, line: lineNo, text: cut(line) };
                if (ctxN) {
                  m.before = [...recent];
                  m.after = [];
                  pendingAfter.push(m);
                }
                matches.push(m);
              }
            }
            if (ctxN) {
              recent.push(cut(line));
              if (recent.length > ctxN) recent.shift();
            }
          }
          if (eof) break;
          if (ctx.signal.aborted) break walk;
        }
      } finally {
        await h.close();
      }
    }
    ctx.checkAborted();
    return { matches, filesScanned, filesSkipped, truncated, ...(truncated ? { nextOffset: args.offset + matches.length } : {}) };
  },
});

export const searchTools = [searchFiles, searchFileContents];
