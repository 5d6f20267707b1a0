// Listing tools: directories, sizes, trees, and the allowed directories themselves.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { annotations, isoTime } from '@bizmcp/core';
import { formatSize, globMatcher } from '../files.js';
import { sandboxOf, tool } from '../state.js';

const pathArg = z.string().min(1).max(4096);
type EntryType = 'file' | 'directory' | 'symlink' | 'other';
const typeOf = (d: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType =>
  d.isDirectory() ? 'directory' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other';
const TYPE = z.enum(['file', 'directory', 'symlink', 'other']);
const TAG: Record<string, string> = { directory: '[DIR]', file: '[FILE]', symlink: '[LINK]', other: '[OTHER]' };

export const listDirectory = tool({
  name: 'list_directory',
  toolset: 'read',
  title: 'List directory',
  description:
    'List the entries of one directory (not recursive), sorted by name, each tagged [DIR], [FILE] or [LINK]. Returns at most `limit` entries (default 1000); when truncated, call again with offset: nextOffset.',
  input: z.object({
    path: pathArg,
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(10_000).default(1000),
  }),
  output: z.object({
    path: z.string(),
    entries: z.array(z.object({ name: z.string(), type: TYPE })),
    total: z.number(),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: annotations.read(),
  text: (r) => r.entries.map((e) => `${TAG[e.type]} ${e.name}`).join('\n') + (r.truncated ? `\n[${r.total - (r.nextOffset ?? 0)} more: offset ${r.nextOffset}]` : ''),
  run: async ({ path: p, offset, limit }, ctx) => {
    const { path: real, entries } = await sandboxOf(ctx).readdir(p);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const page = entries.slice(offset, offset + limit);
    const end = offset + page.length;
    return {
      path: real,
      entries: page.map((e) => ({ name: e.name, type: typeOf(e) })),
      total: entries.length,
      truncated: end < entries.length,
      ...(end < entries.length ? { nextOffset: end } : {}),
    };
  },
});

export const listDirectoryWithSizes = tool({
  name: 'list_directory_with_sizes',
  toolset: 'read',
  title: 'List directory with sizes',
  description:
    'List one directory with the size of each file, sorted by name or by size (largest first), plus totals (files, directories, bytes of the files listed). Directory sizes are not computed (that would walk the tree). At most `limit` entries (default 1000) with offset/nextOffset.',
  input: z.object({
    path: pathArg,
    sortBy: z.enum(['name', 'size']).default('name'),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(10_000).default(1000),
  }),
  output: z.object({
    path: z.string(),
    entries: z.array(z.object({ name: z.string(), type: TYPE, size: z.number(), modified: z.string() })),
    totals: z.object({ files: z.number(), directories: z.number(), bytes: z.number() }),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: annotations.read(),
  text: (r) =>
    r.entries.map((e) => `${TAG[e.type]} ${e.name.padEnd(40)} ${e.type === 'file' ? formatSize(e.size) : ''}`.trimEnd()).join('\n') +
    `\n\nTotal: ${r.totals.files} files, ${r.totals.directories} directories, ${formatSize(r.totals.bytes)}` +
    (r.truncated ? `\n[more: offset ${r.nextOffset}]` : ''),
  run: async ({ path: p, sortBy, offset, limit }, ctx) => {
    const { path: real, entries } = await sandboxOf(ctx).readdir(p);
    const rows = await Promise.all(
      entries.map(async (e) => {
        const st = await lstat(path.join(real, e.name)).catch(() => undefined);
        return { name: e.name, type: typeOf(e), size: st && e.isFile() ? st.size : 0, modified: st ? isoTime(st.mtimeMs) : '' };
      }),
    );
    rows.sort(sortBy === 'size' ? (a, b) => b.size - a.size || a.name.localeCompare(b.name) : (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const totals = { files: rows.filter((r) => r.type === 'file').length, directories: rows.filter((r) => r.type === 'directory').length, bytes: rows.reduce((s, r) => s + r.size, 0) };
    const page = rows.slice(offset, offset + limit);
    const end = offset + page.length;
    return { path: real, entries: page, totals, truncated: end < rows.length, ...(end < rows.length ? { nextOffset: end } : {}) };
  },
});

interface TreeNode {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  children?: TreeNode[];
}
const treeNode: z.ZodType<TreeNode> = z.lazy(() => z.object({ name: z.string(), type: TYPE, children: z.array(treeNode).optional() }));

export const directoryTree = tool({
  name: 'directory_tree',
  toolset: 'read',
  title: 'Directory tree',
  description:
    'A recursive tree of a directory as nested JSON ({name, type, children}). Symbolic links are shown, never followed. Bounded: maxDepth (default 8) and maxEntries (default 2000, max 50000); when the cap is hit the tree is cut and truncated: true. excludePatterns are globs (a pattern without "/" matches a name at any depth, e.g. "node_modules", ".git", "*.log").',
  input: z.object({
    path: pathArg,
    excludePatterns: z.array(z.string().max(500)).max(100).default([]),
    maxDepth: z.number().int().min(1).max(100).default(8),
    maxEntries: z.number().int().min(1).max(50_000).default(2000),
  }),
  output: z.object({ path: z.string(), tree: z.array(treeNode), entries: z.number(), truncated: z.boolean() }),
  annotations: annotations.read(),
  text: (r) => {
    const lines: string[] = [];
    const draw = (nodes: TreeNode[], indent: string) => {
      for (const n of nodes) {
        lines.push(`${indent}${n.name}${n.type === 'directory' ? '/' : n.type === 'symlink' ? ' ->' : ''}`);
        if (n.children) draw(n.children, indent + '  ');
      }
    };
    draw(r.tree, '');
    return `${r.path}\n${lines.join('\n')}${r.truncated ? `\n[truncated at ${r.entries} entries]` : ''}`;
  },
  run: async ({ path: p, excludePatterns, maxDepth, maxEntries }, ctx) => {
    const exclude = await globMatcher(excludePatterns);
    const root: TreeNode[] = [];
    const dirs = new Map<string, TreeNode[]>([['', root]]);
    let count = 0;
    let truncated = false;
    const start = await sandboxOf(ctx).resolve(p);
    for await (const e of sandboxOf(ctx).walk(p, { maxDepth, signal: ctx.signal, prune: (rel) => exclude(rel) })) {
      if (count >= maxEntries) {
        truncated = true;
        break;
      }
      count++;
      const type = typeOf(e.entry);
      const node: TreeNode = { name: e.entry.name, type };
      if (type === 'directory') {
        node.children = [];
        dirs.set(e.rel, node.children);
      }
      const parentRel = e.rel.includes('/') ? e.rel.slice(0, e.rel.lastIndexOf('/')) : '';
      dirs.get(parentRel)?.push(node);
    }
    const sortTree = (nodes: TreeNode[]) => {
      nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const n of nodes) if (n.children) sortTree(n.children);
    };
    sortTree(root);
    return { path: start.path, tree: root, entries: count, truncated };
  },
});

export const listAllowedDirectories = tool({
  name: 'list_allowed_directories',
  toolset: 'read',
  title: 'Allowed directories',
  description: 'The directories this server may read and write (canonical paths). Every other tool refuses paths outside them. Call this first to know where to look.',
  input: z.object({}),
  output: z.object({ directories: z.array(z.string()) }),
  annotations: annotations.read(),
  text: (r) => (r.directories.length ? `Allowed directories:\n${r.directories.join('\n')}` : 'No allowed directories yet (set ALLOWED_PATHS or use a client that provides roots).'),
  run: async (_args, ctx) => ({ directories: [...sandboxOf(ctx).roots()] }),
});

export const listTools = [listDirectory, listDirectoryWithSizes, directoryTree, listAllowedDirectories];
