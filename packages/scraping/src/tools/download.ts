// Downloads into the download directory (core's sandbox), streamed with a size cap.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { z } from 'zod';
import { missingCredentials, ToolError } from '@bizmcp/core';

export const noDownloadDir = () =>
  missingCredentials({
    what: 'Saving files (downloads)',
    vars: ['SCRAPING_DOWNLOAD_DIR'],
    how: 'Set SCRAPING_DOWNLOAD_DIR to a directory the server may write into; nothing is written anywhere else.',
  });
import { tool } from '../state.js';

export const downloadFile = tool({
  name: 'download_file',
  toolset: 'downloads',
  title: 'Download a file',
  description:
    'Download a public URL into the download directory (SCRAPING_DOWNLOAD_DIR) under `filename` (a relative path inside it). Streamed to disk with a size cap (max_bytes, default and maximum SCRAPING_MAX_DOWNLOAD_BYTES, 50 MB); a partial file is never left behind. Never overwrites an existing file unless overwrite: true. With `accept` (MIME prefixes such as ["application/pdf", "image/"]) a response of another type is refused before anything is written. Returns the saved path, size, content type and SHA-256. robots.txt and the SSRF guard apply.',
  input: z.object({
    url: z.string().min(1).max(4000),
    filename: z.string().min(1).max(1024).describe('Path relative to the download directory'),
    overwrite: z.boolean().default(false),
    accept: z.array(z.string().min(1).max(100)).max(20).optional(),
    max_bytes: z.number().int().min(1).optional(),
  }),
  output: z.object({ path: z.string(), bytes: z.number(), contentType: z.string(), sha256: z.string(), url: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  timeoutMs: 300_000,
  run: async (args, ctx) => {
    const { downloads, fetcher, config } = ctx.state;
    if (!downloads) throw noDownloadDir();
    const cap = Math.min(args.max_bytes ?? config.maxDownloadBytes, config.maxDownloadBytes);
    const { url } = await fetcher.guard.checkUrl(args.url);
    await fetcher.checkRobots(url, ctx.signal);
    const res = await fetcher.guard.stream(url, { signal: ctx.signal, timeoutMs: Math.max(1, ctx.remainingMs()) });
    try {
      if (res.status >= 400) throw new ToolError(`HTTP ${res.status} from ${res.url}`, { code: 'remote_error' });
      const type = String(res.headers['content-type'] ?? 'application/octet-stream')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (args.accept && !args.accept.some((a) => type.startsWith(a.toLowerCase()))) {
        throw new ToolError(`Refused: the server sent ${type}, not ${args.accept.join(' or ')}`, { code: 'invalid_argument' });
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > cap) throw new ToolError(`Too large: ${declared} bytes (limit ${cap})`, { code: 'too_large' });
      if (dirname(args.filename) !== '.') await downloads.mkdir(dirname(args.filename), { recursive: true });
      const out = await downloads.openWrite(args.filename, { overwrite: args.overwrite });
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        for await (const chunk of res.body) {
          const b = chunk as Buffer;
          bytes += b.length;
          if (bytes > cap) throw new ToolError(`Too large: more than ${cap} bytes`, { code: 'too_large', hint: 'Raise max_bytes (up to SCRAPING_MAX_DOWNLOAD_BYTES) if you really need it.' });
          hash.update(b);
          await out.handle.write(b);
        }
      } catch (e) {
        await out.abort();
        throw e;
      }
      const saved = await out.commit();
      return { path: saved.path, bytes, contentType: type, sha256: hash.digest('hex'), url: res.url };
    } finally {
      res.cancel();
    }
  },
});
