// bizmcp-filesystem: files inside allowed directories, with the reference server's tools and more.
import { defineServer, envNumber, Sandbox } from '@bizmcp/core';
import { fileResource } from './resources.js';
import type { FsConfig, FsState } from './state.js';
import { listTools } from './tools/list.js';
import { readTools } from './tools/read.js';
import { searchTools } from './tools/search.js';
import { writeTools } from './tools/write.js';

const MB = 1024 * 1024;

export default defineServer<FsConfig, FsState>({
  name: 'filesystem',
  version: '0.1.0',
  title: 'bizmcp filesystem',
  description: 'Read, write, edit and search files inside allowed directories. No path escapes them: not through "..", symbolic links, hard links or races.',
  instructions:
    'Files are only reachable inside the allowed directories: call list_allowed_directories first. Prefer read_text_file with head/tail/offset for large files, search_file_contents to find text, and edit_file (with dryRun first) for changes.',
  positionals: { name: 'directory', description: 'A directory the tools may use (repeatable).' },
  env: {
    ALLOWED_PATHS: { description: 'Comma-separated directories the tools may use (added to the positional arguments). With none, the client\'s MCP roots are used.', example: '/Users/me/projects,/Users/me/data' },
    FS_MAX_READ_BYTES: { description: 'Largest text read in one call, in bytes (larger files are read in windows).', default: String(10 * MB) },
    FS_MAX_MEDIA_BYTES: { description: 'Largest image or audio file read_media_file returns, in bytes.', default: String(10 * MB) },
  },
  parseConfig: (args) => ({
    roots: [...args.positionals, ...(args.env.ALLOWED_PATHS ?? '').split(',')].map((s) => s.trim()).filter(Boolean),
    maxReadBytes: envNumber(args.env, 'FS_MAX_READ_BYTES', 10 * MB, { min: 1, integer: true }),
    maxMediaBytes: envNumber(args.env, 'FS_MAX_MEDIA_BYTES', 10 * MB, { min: 1, integer: true }),
  }),
  tools: [...readTools, ...listTools, ...searchTools, ...writeTools],
  resources: [fileResource],
  setup(config, rt) {
    const sandbox = Sandbox.fromConfig(config.roots);
    sandbox.followClientRoots(rt);
    if (!sandbox.hasRoots()) {
      rt.log.warn('no allowed directory given (arguments or ALLOWED_PATHS): waiting for the client\'s MCP roots; tools fail until there are some');
    }
    return { sandbox, config };
  },
});
