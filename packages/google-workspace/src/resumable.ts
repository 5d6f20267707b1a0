// Drive's resumable upload, for files above GOOGLE_RESUMABLE_ABOVE_BYTES (the generated clients
// only send one multipart request). The session is opened with the access token; the bytes go in
// chunks (multiples of 256 KiB) to the session address Google returns, which must be on the same
// origin as the API root and is sent no token (the address authenticates the session). A chunk
// that fails is not blindly repeated: the session is asked how much it holds (`bytes */total`) and
// the upload resumes from there, at most three times in a row.
import { sleep, type ToolContext, ToolError } from '@bizmcp/core';
import type { Google, Obj } from './google.js';

type Ctx = Pick<ToolContext, 'signal' | 'deadline' | 'remainingMs' | 'log'>;

/** A non-ok fetch Response in the shape gaxios errors have, for core's Google adapter. */
async function asGaxiosError(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    /* text */
  }
  return Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, response: { status: res.status, headers: res.headers, data } });
}

export async function resumableUpload(
  ctx: Ctx,
  google: Google,
  o: { metadata: Obj; mimeType: string; bytes: Buffer; fields: string; chunkBytes: number },
): Promise<{ data: Obj; account: string; chunks: number; resumed: number }> {
  const root = google.config.apiRoot ?? 'https://www.googleapis.com/';
  const total = o.bytes.length;
  const start = await google.call(
    ctx,
    'drive',
    async (_client, opts) => {
      const url = new URL(`upload/drive/v3/files?uploadType=resumable&supportsAllDrives=true&fields=${encodeURIComponent(o.fields)}`, root);
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...opts.headers, 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': o.mimeType, 'x-upload-content-length': String(total) },
        body: JSON.stringify(o.metadata),
        signal: opts.signal,
        redirect: 'error',
      });
      if (!res.ok) throw await asGaxiosError(res);
      await res.body?.cancel();
      return { data: res.headers.get('location') ?? '' };
    },
    // Opening a session creates nothing: safe to repeat.
    { write: true, idempotent: true },
  );
  let session: URL;
  try {
    session = new URL(start.data);
  } catch {
    throw new ToolError('Drive opened no upload session (no Location).', { code: 'remote_error', details: { outcome: 'not_done' } });
  }
  if (session.origin !== new URL(root).origin) {
    throw new ToolError(`Drive's upload session is on ${session.origin}, not on the API's origin; nothing was sent there.`, { code: 'remote_error', details: { outcome: 'not_done' } });
  }

  let offset = 0;
  let chunks = 0;
  let resumed = 0;
  let failures = 0;
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const end = Math.min(total, offset + o.chunkBytes);
    let res: Response | undefined;
    try {
      res = await fetch(session, {
        method: 'PUT',
        headers: { 'content-type': o.mimeType, 'content-length': String(end - offset), 'content-range': total === 0 ? 'bytes */0' : `bytes ${offset}-${end - 1}/${total}` },
        body: o.bytes.subarray(offset, end),
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1000, ctx.remainingMs()))]),
        // 308 is Drive's "resume incomplete", not a redirect (it carries no Location).
        redirect: 'manual',
      });
      chunks++;
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.log.warn({ offset, err: (e as Error).message }, 'upload chunk failed; asking the session where it stands');
    }
    if (res && (res.status === 200 || res.status === 201)) return { data: (await res.json()) as Obj, account: start.account, chunks, resumed };
    if (res && res.status === 308) {
      await res.body?.cancel();
      offset = rangeEnd(res.headers.get('range'));
      failures = 0;
      continue;
    }
    if (res && (res.status === 404 || res.status === 410))
      throw new ToolError('The upload session expired or was cancelled by Drive; no file was created.', { code: 'remote_error', details: { outcome: 'not_done' } });
    if (res && res.status < 500)
      throw await asGaxiosError(res).then((e) => new ToolError(`Drive refused the upload (${e.message}).`, { code: 'remote_error', details: { outcome: 'not_done' }, cause: e }));
    if (res) await res.body?.cancel();
    // No answer or a 5xx: ask the session how much it holds, then go on from there.
    if (++failures > 3) throw new ToolError('The upload kept failing; the session holds part of the file, and no file was created.', { code: 'unavailable', details: { outcome: 'not_done' } });
    await sleep(Math.min(2000, 250 * 2 ** failures), ctx.signal);
    const status = await fetch(session, { method: 'PUT', headers: { 'content-length': '0', 'content-range': `bytes */${total}` }, signal: ctx.signal, redirect: 'manual' }).catch(() => undefined);
    if (status && (status.status === 200 || status.status === 201)) return { data: (await status.json()) as Obj, account: start.account, chunks, resumed: resumed + 1 };
    if (status?.status === 308) offset = rangeEnd(status.headers.get('range'));
    await status?.body?.cancel();
    resumed++;
  }
}

/** The next byte to send after a `Range: bytes=0-N` answer (none: from the start). */
function rangeEnd(range: string | null): number {
  const m = /bytes=0-(\d+)/.exec(range ?? '');
  return m ? Number(m[1]) + 1 : 0;
}
