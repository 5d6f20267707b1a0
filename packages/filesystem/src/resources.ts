// Files as MCP resources: `file:///{path}` read through the sandbox (text, or base64 blob for
// binary files), capped like read_text_file.
import { fileURLToPath } from 'node:url';
import type { ResourceTemplateDef } from '@bizmcp/core';
import { ToolError } from '@bizmcp/core';
import { looksBinary, mediaType } from './files.js';
import { sandboxOf, type FsState } from './state.js';

export const fileResource: ResourceTemplateDef<FsState> = {
  name: 'file',
  title: 'File in an allowed directory',
  uriTemplate: 'file:///{+path}',
  description: 'Any file inside the allowed directories, by its file:// URI. Text files come back as text, others as base64 blobs; the read cap applies.',
  match(uri) {
    if (!uri.startsWith('file://')) return undefined;
    try {
      return { path: fileURLToPath(uri) };
    } catch {
      return undefined;
    }
  },
  async read({ path }, state, { uri, session }) {
    const { data, path: real } = await sandboxOf({ state, session }).readFile(path, { maxBytes: state.config.maxReadBytes });
    if (!looksBinary(data)) return [{ uri, mimeType: 'text/plain', text: data.toString('utf8') }];
    return [{ uri, mimeType: mediaType(real, data.subarray(0, 16)) ?? 'application/octet-stream', blob: data.toString('base64') }];
  },
  async list(state, { session }) {
    // The files directly inside each root (bounded): a starting point, not an index.
    const out: { uri: string; name: string; mimeType?: string }[] = [];
    const sandbox = sandboxOf({ state, session });
    for (const root of sandbox.roots()) {
      try {
        const { entries } = await sandbox.readdir(root);
        for (const e of entries) if (e.isFile() && out.length < 100) out.push({ uri: `file://${encodeURI(`${root}/${e.name}`)}`, name: e.name });
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
      }
    }
    return out;
  },
};
