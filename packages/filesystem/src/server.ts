// bizmcp-filesystem: files inside allowed directories, with the reference server's tools and more.
import { defineServer, envInt, envList, readEnv, Sandbox } from '@bizmcp/core';
import { fileResource } from './resources.js';
import type { FsConfig, FsState } from './state.js';
import { documentTools } from './tools/documents.js';
import { listTools } from './tools/list.js';
import { readTools } from './tools/read.js';
import { searchTools } from './tools/search.js';
import { writeTools } from './tools/write.js';

const MB = 1024 * 1024;

const env = {
  ALLOWED_PATHS: envList({
    description: "Comma-separated directories the tools may use (added to the positional arguments). With none, the client's MCP roots are used.",
    example: '/Users/me/projects,/Users/me/data',
  }),
  FS_MAX_READ_BYTES: envInt({ description: 'Largest text read in one call, in bytes (larger files are read in windows).', default: 10 * MB, min: 1 }),
  FS_MAX_MEDIA_BYTES: envInt({ description: 'Largest image or audio file read_media_file returns, in bytes.', default: 10 * MB, min: 1 }),
  FS_MAX_DOCUMENT_BYTES: envInt({ description: 'Largest document (PDF, Office, OpenDocument, CSV) read_document reads, in bytes.', default: 50 * MB, min: 1 }),
  FS_MAX_BINARY_BYTES: envInt({ description: 'Largest file read_binary_file returns as base64, in bytes.', default: 10 * MB, min: 1 }),
};

export default defineServer<FsConfig, FsState>({
  name: 'filesystem',
  version: '0.1.0',
  title: 'bizmcp filesystem',
  description: 'Read, write, edit and search files inside allowed directories. No path escapes them: not through "..", symbolic links, hard links or races.',
  instructions:
    'Files are only reachable inside the allowed directories: call list_allowed_directories first. Prefer read_text_file with head/tail/offset for large files, read_document for PDF, Word, Excel and PowerPoint files, search_file_contents to find text, and edit_file (with dryRun first) for changes.',
  positionals: { name: 'directory', description: 'A directory the tools may use (repeatable).' },
  env,
  parseConfig: (args) => {
    const vars = readEnv(env, args.env);
    return {
      roots: [...args.positionals.map((s) => s.trim()).filter(Boolean), ...vars.ALLOWED_PATHS],
      maxReadBytes: vars.FS_MAX_READ_BYTES,
      maxMediaBytes: vars.FS_MAX_MEDIA_BYTES,
      maxDocumentBytes: vars.FS_MAX_DOCUMENT_BYTES,
      maxBinaryBytes: vars.FS_MAX_BINARY_BYTES,
    };
  },
  toolsets: {
    read: { description: 'Read files and list directories.' },
    search: { description: 'Find files by name and text inside files.' },
    write: { description: 'Write, edit, create, move, copy and delete files.' },
  },
  tools: [...readTools, ...documentTools, ...listTools, ...searchTools, ...writeTools],
  resources: [fileResource],
  setup(config, rt) {
    // like a missing mount: the others still serve; only when none is usable does the server stop
    const sandbox = Sandbox.fromConfig(config.roots, undefined, { onSkip: (problem) => rt.log.warn(problem) });
    sandbox.followClientRoots(rt);
    if (!sandbox.hasRoots()) {
      rt.log.warn("no allowed directory given (arguments or ALLOWED_PATHS): waiting for the client's MCP roots; tools fail until there are some");
    }
    return { sandbox, config };
  },
});
