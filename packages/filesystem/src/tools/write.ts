// Tools that change files: write, edit, create directories, move, copy, delete.
// Every path goes through core's sandbox; nothing here checks paths on its own.
import { z } from 'zod';
import { ToolError } from '@bizmcp/core';
import { applyEdits, looksBinary } from '../files.js';
import { sandboxOf, tool } from '../state.js';

const pathArg = z.string().min(1).max(4096);

export const writeFile = tool({
  name: 'write_file',
  toolset: 'write',
  title: 'Write file',
  description:
    "Create a file, or replace an existing file's whole content (overwrite defaults to true, as in the reference server; pass overwrite: false to refuse replacing). The write is atomic: a temp file in the same directory is renamed over the target, so readers never see half a file. The parent directory must exist (create_directory). Content is written as UTF-8. Max 50 MB.",
  input: z.object({
    path: pathArg.describe('File path inside an allowed directory'),
    content: z
      .string()
      .max(50 * 1024 * 1024)
      .describe('The complete new content'),
    overwrite: z.boolean().default(true).describe('Replace an existing file (default true)'),
  }),
  output: z.object({ path: z.string(), created: z.boolean(), bytes: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  text: (r) => `${r.created ? 'Created' : 'Replaced'} ${r.path} (${r.bytes} bytes)`,
  run: async ({ path, content, overwrite }, ctx) => {
    const data = Buffer.from(content, 'utf8');
    const r = await sandboxOf(ctx).writeFile(path, data, { overwrite });
    return { path: r.path, created: r.created, bytes: data.length };
  },
});

export const editFile = tool({
  name: 'edit_file',
  toolset: 'write',
  title: 'Edit file',
  description:
    "Apply a list of text replacements to a file, all or nothing: each oldText must match exactly once (matched literally, or line by line ignoring indentation and CRLF/LF differences); if any edit does not match exactly once, nothing is written and the error names the edit. Indentation of the matched block and the file's line endings are kept. Returns a unified diff; with dryRun: true only the diff is returned and the file is left untouched.",
  input: z.object({
    path: pathArg,
    edits: z
      .array(z.object({ oldText: z.string().describe('Text to find (exactly once)'), newText: z.string().describe('Replacement') }))
      .min(1)
      .max(100),
    dryRun: z.boolean().default(false).describe('Only show the diff'),
  }),
  output: z.object({ path: z.string(), diff: z.string(), applied: z.boolean(), edits: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  text: (r) => `${r.applied ? 'Applied' : 'Dry run, not applied:'} ${r.edits} edit(s) to ${r.path}\n${r.diff}`,
  run: async ({ path, edits, dryRun }, ctx) => {
    const sb = sandboxOf(ctx);
    const { data, path: real, stat } = await sb.readFile(path, { maxBytes: ctx.state.config.maxReadBytes });
    if (looksBinary(data)) throw new ToolError(`Binary file: ${real}`, { code: 'invalid_argument' });
    const before = data.toString('utf8');
    const after = applyEdits(before, edits);
    const { createTwoFilesPatch } = await import('diff'); // loaded on first edit
    const diff = createTwoFilesPatch(real, real, before, after, 'original', 'modified');
    if (!dryRun && after !== before) await sb.writeFile(real, after, { overwrite: true, mode: stat.mode & 0o777 });
    return { path: real, diff, applied: !dryRun, edits: edits.length };
  },
});

export const createDirectory = tool({
  name: 'create_directory',
  toolset: 'write',
  title: 'Create directory',
  description: 'Create a directory and any missing parents (like mkdir -p). Succeeds quietly when it already exists.',
  input: z.object({ path: pathArg }),
  output: z.object({ path: z.string(), created: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: async ({ path }, ctx) => sandboxOf(ctx).mkdir(path, { recursive: true }),
});

export const moveFile = tool({
  name: 'move_file',
  toolset: 'write',
  title: 'Move or rename',
  description:
    'Move or rename a file or directory. Both paths must be inside the allowed directories. Refuses to replace an existing destination unless overwrite: true. A symbolic link is moved as a link.',
  input: z.object({ source: pathArg, destination: pathArg, overwrite: z.boolean().default(false) }),
  output: z.object({ from: z.string(), to: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  run: async ({ source, destination, overwrite }, ctx) => sandboxOf(ctx).rename(source, destination, { overwrite }),
});

export const copyFile = tool({
  name: 'copy_file',
  toolset: 'write',
  title: 'Copy file',
  description: 'Copy a regular file to a new path inside the allowed directories (streamed, any size). Refuses to replace an existing destination unless overwrite: true. Directories are not copied.',
  input: z.object({ source: pathArg, destination: pathArg, overwrite: z.boolean().default(false) }),
  output: z.object({ from: z.string(), to: z.string(), bytes: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  run: async ({ source, destination, overwrite }, ctx) => sandboxOf(ctx).copyFile(source, destination, { overwrite }),
});

export const deleteFile = tool({
  name: 'delete_file',
  toolset: 'write',
  title: 'Delete file or directory',
  description:
    'Delete a file or a symbolic link (the link itself, never what it points to). A directory is deleted only when recursive: true (with everything inside it); an empty directory also needs recursive: true. An allowed directory itself cannot be deleted. There is no undo.',
  input: z.object({ path: pathArg, recursive: z.boolean().default(false).describe('Required to delete a directory') }),
  output: z.object({ path: z.string(), type: z.enum(['file', 'directory', 'symlink']) }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  run: async ({ path, recursive }, ctx) => {
    const sb = sandboxOf(ctx);
    const { stat } = await sb.stat(path, 'entry');
    if (stat.isDirectory() && !recursive) throw new ToolError(`${path} is a directory`, { code: 'invalid_argument', hint: 'Pass recursive: true to delete a directory and everything in it.' });
    return sb.remove(path, { recursive });
  },
});

export const writeTools = [writeFile, editFile, createDirectory, moveFile, copyFile, deleteFile];
