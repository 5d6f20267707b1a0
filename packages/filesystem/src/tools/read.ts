// Reading tools: whole files and windows of text files, media files, several files at once, and
// file metadata.
import { z } from 'zod';
import { annotations, isoTime, richResult, ToolError, isToolError } from '@bizmcp/core';
import { lineWindow, looksBinary, mediaType, tailLines } from '../files.js';
import { sandboxOf, tool, type FsContext } from '../state.js';
import { otherReader } from './documents.js';

const pathArg = z.string().min(1).max(4096).describe('File path: absolute, or relative to the first allowed directory');

const textOutput = z.object({
  path: z.string(),
  content: z.string(),
  size: z.number().describe('File size in bytes'),
  lines: z.number().describe('Lines returned'),
  startLine: z.number().optional(),
  truncated: z.boolean(),
  nextOffset: z.number().optional().describe('Pass as offset to read the next lines'),
});

const readTextInput = z.object({
  path: pathArg,
  head: z.number().int().min(1).optional().describe('Only the first N lines'),
  tail: z.number().int().min(1).optional().describe('Only the last N lines (read from the end: fast on huge files)'),
  offset: z.number().int().min(0).optional().describe('First line to return, 0-based'),
  limit: z.number().int().min(1).optional().describe('Number of lines to return from offset'),
});

async function readText(args: z.infer<typeof readTextInput>, ctx: FsContext) {
  const { head, tail, offset, limit } = args;
  if ([head !== undefined, tail !== undefined, offset !== undefined || limit !== undefined].filter(Boolean).length > 1) {
    throw new ToolError('Use only one of head, tail, or offset/limit', { code: 'invalid_argument' });
  }
  const max = ctx.state.config.maxReadBytes;
  const { handle, realPath: path, stat } = await sandboxOf(ctx).openRead(args.path);
  try {
    const sample = Buffer.alloc(Math.min(8000, stat.size));
    await handle.read(sample, 0, sample.length, 0);
    if (looksBinary(sample)) {
      throw new ToolError(`Binary file: ${path} (${stat.size} bytes)`, { code: 'invalid_argument', hint: otherReader(path, sample) });
    }
    if (tail !== undefined) {
      const w = await tailLines(handle, stat.size, tail, max);
      return { path, content: w.text, size: stat.size, lines: w.lines, truncated: w.truncated };
    }
    if (head !== undefined || offset !== undefined || limit !== undefined || stat.size > max) {
      const w = await lineWindow(handle, offset ?? 0, head ?? limit ?? Number.MAX_SAFE_INTEGER, max);
      return { path, content: w.text, size: stat.size, lines: w.lines, startLine: w.startLine, truncated: w.truncated, ...(w.nextOffset !== undefined ? { nextOffset: w.nextOffset } : {}) };
    }
    const text = (await handle.readFile()).toString('utf8');
    const lines = text.length ? text.split('\n').length - (text.endsWith('\n') ? 1 : 0) : 0;
    return { path, content: text, size: stat.size, lines, startLine: 1, truncated: false };
  } finally {
    await handle.close();
  }
}

const readDescription = (extra: string) =>
  `Read a UTF-8 text file inside the allowed directories. ${extra}Options: head (first N lines), tail (last N lines, read from the end so it is instant even on multi-GB files), or offset/limit (a window of lines; the result's nextOffset continues). Files larger than the read cap (FS_MAX_READ_BYTES, default 10 MB) are returned in windows with truncated: true. Binary files are refused, naming the tool that reads them (read_document for PDF and Office documents, read_media_file for images and audio, read_binary_file for anything else).`;

export const readTextFile = tool({
  name: 'read_text_file',
  toolset: 'read',
  title: 'Read text file',
  description: readDescription('Returns the content, the file size and how many lines were returned. '),
  input: readTextInput,
  output: textOutput,
  annotations: annotations.read(),
  text: (r) => (r.truncated ? `${r.content}\n[truncated: ${r.nextOffset !== undefined ? `continue with offset ${r.nextOffset}` : 'more text before this'}]` : r.content),
  run: (args, ctx) => readText(args, ctx),
});

export const readFile = tool({
  name: 'read_file',
  toolset: 'read',
  title: 'Read file',
  description: readDescription('Same as read_text_file, under the short name many agents and prompts use. '),
  input: readTextInput,
  output: textOutput,
  annotations: annotations.read(),
  text: readTextFile.text,
  run: (args, ctx) => readText(args, ctx),
});

export const readMediaFile = tool({
  name: 'read_media_file',
  toolset: 'read',
  title: 'Read image or audio file',
  description:
    "Read an image (png, jpeg, gif, webp, bmp, svg, tiff, ico) or audio file (mp3, wav, ogg, flac, m4a, aac, opus) and return it as MCP image/audio content with its MIME type, detected from the file's bytes. Files over FS_MAX_MEDIA_BYTES (default 10 MB) are refused.",
  input: z.object({ path: pathArg }),
  output: z.object({ path: z.string(), mimeType: z.string(), size: z.number(), kind: z.enum(['image', 'audio']) }),
  annotations: annotations.read(),
  run: async ({ path: p }, ctx) => {
    const { data, path, stat } = await sandboxOf(ctx).readFile(p, { maxBytes: ctx.state.config.maxMediaBytes });
    const mimeType = mediaType(path, data.subarray(0, 16));
    if (!mimeType) throw new ToolError(`Not an image or audio file: ${path}`, { code: 'invalid_argument', hint: otherReader(path, data.subarray(0, 8000)) });
    const kind = mimeType.startsWith('audio/') ? 'audio' : 'image';
    const meta = { path, mimeType, size: stat.size, kind } as const;
    return richResult(meta, { text: `${kind} ${mimeType}, ${stat.size} bytes: ${path}`, content: [{ type: kind, data: data.toString('base64'), mimeType }] });
  },
});

export const readMultipleFiles = tool({
  name: 'read_multiple_files',
  toolset: 'read',
  title: 'Read several files',
  description:
    'Read up to 50 text files at once. Each file is reported on its own: one failure (missing, outside the allowed directories, binary, too large) does not fail the others. Each file is capped like read_text_file (use it with offset/limit for the rest).',
  input: z.object({ paths: z.array(pathArg).min(1).max(50) }),
  output: z.object({
    files: z.array(
      z.object({
        index: z.number().describe('Position in paths'),
        path: z.string(),
        ok: z.boolean(),
        content: z.string().optional(),
        size: z.number().optional(),
        truncated: z.boolean().optional(),
        error: z.string().optional(),
      }),
    ),
  }),
  annotations: annotations.read(),
  text: (r) => r.files.map((f) => (f.ok ? `=== ${f.path}${f.truncated ? ' (truncated)' : ''}\n${f.content}` : `=== ${f.path}\nError: ${f.error}`)).join('\n\n'),
  run: async ({ paths }, ctx) => {
    const files = await Promise.all(
      paths.map(async (p, index) => {
        try {
          const r = await readText({ path: p }, ctx);
          return { index, path: r.path, ok: true, content: r.content, size: r.size, truncated: r.truncated };
        } catch (e) {
          if (!isToolError(e)) throw e;
          // a refused path is not echoed back (it may name something outside the roots)
          return { index, path: e.code === 'access_denied' ? `(paths[${index}])` : p, ok: false, error: e.message };
        }
      }),
    );
    return { files };
  },
});

export const getFileInfo = tool({
  name: 'get_file_info',
  toolset: 'read',
  title: 'File information',
  description:
    'Metadata of a file or directory: type, size, times (ISO 8601), permissions (octal), number of hard links, and for a symbolic link its target when that is inside the allowed directories. Does not read the content.',
  input: z.object({ path: pathArg }),
  output: z.object({
    path: z.string(),
    type: z.enum(['file', 'directory', 'symlink', 'other']),
    size: z.number(),
    created: z.string(),
    modified: z.string(),
    accessed: z.string(),
    permissions: z.string(),
    links: z.number(),
    target: z.string().optional(),
  }),
  annotations: annotations.read(),
  text: (r) => {
    let out = '';
    for (const [k, v] of Object.entries(r)) out += `${out ? '\n' : ''}${k}: ${v}`;
    return out;
  },
  run: async ({ path: p }, ctx) => {
    const { path, stat } = await sandboxOf(ctx).stat(p, 'entry');
    let target: string | undefined;
    if (stat.isSymbolicLink()) {
      try {
        target = (await sandboxOf(ctx).resolve(p, 'read')).path;
      } catch {
        target = undefined; // leads outside or dangles: not shown
      }
    }
    return {
      path,
      type: (stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'other') as 'file' | 'directory' | 'symlink' | 'other',
      size: stat.size,
      // from the numeric fields: fs.Stats' Date getters define a property on each stat object at first use
      created: isoTime(stat.birthtimeMs),
      modified: isoTime(stat.mtimeMs),
      accessed: isoTime(stat.atimeMs),
      permissions: (stat.mode & 0o7777).toString(8).padStart(3, '0'),
      links: stat.nlink,
      ...(target ? { target } : {}),
    };
  },
});

export const readTools = [readFile, readTextFile, readMediaFile, readMultipleFiles, getFileInfo];
