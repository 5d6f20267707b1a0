// Google Drive: list files (shared drives included, cursor) and upload from the sandbox roots.
import { Readable } from 'node:stream';
import { basename, extname } from 'node:path';
import { annotations, cleanText, type ToolContext, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import type { Obj } from '../google.js';
import { type GoogleWorkspaceState, tool } from '../state.js';
import { account, confirmRepeat, fileSandbox, googleId } from './common.js';

const FILE_FIELDS = 'id,name,mimeType,modifiedTime,size,parents,webViewLink,driveId,trashed,owners(emailAddress)';

export const fileOut = z.object({
  id: z.string(),
  name: z.string(),
  mimeType: z.string(),
  modifiedTime: z.string().optional(),
  size: z.number().optional().describe('Bytes (absent for Google Docs, Sheets and Slides).'),
  parents: z.array(z.string()).optional(),
  webViewLink: z.string().optional(),
  driveId: z.string().optional().describe('The shared drive holding it, if any.'),
  owners: z.array(z.string()).optional(),
  trashed: z.boolean().optional(),
});

export function toFile(f: Obj): z.infer<typeof fileOut> {
  return {
    id: String(f.id),
    name: cleanText(f.name ?? ''),
    mimeType: String(f.mimeType ?? ''),
    modifiedTime: f.modifiedTime,
    size: f.size !== undefined ? Number(f.size) : undefined,
    parents: f.parents,
    webViewLink: f.webViewLink,
    driveId: f.driveId,
    owners: Array.isArray(f.owners) ? f.owners.map((o: Obj) => String(o.emailAddress ?? '')).filter(Boolean) : undefined,
    trashed: f.trashed,
  };
}

/** A string literal of the Drive query language. */
export const qstr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const pageArgs = {
  limit: z.number().int().min(1).max(200).default(50).describe('How many files to return (at most 200).'),
  cursor: z.string().max(4096).optional().describe('nextCursor from the previous page, unchanged.'),
};
const listOut = z.object({ ...account, files: z.array(fileOut), truncated: z.boolean(), nextCursor: z.string().optional() });

/** files.list across My Drive and the shared drives the account can see. */
export async function listFiles(ctx: ToolContext<GoogleWorkspaceState>, q: string, limit: number, cursor: string | undefined, orderBy?: string) {
  const { data, account: acct } = await ctx.state.google.call(ctx, 'drive', (c, o) =>
    c.files.list(
      {
        q,
        pageSize: limit,
        pageToken: cursor,
        orderBy,
        corpora: 'allDrives',
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        fields: `nextPageToken,incompleteSearch,files(${FILE_FIELDS})`,
      },
      o,
    ),
  );
  const d = data as Obj;
  const next = typeof d.nextPageToken === 'string' ? d.nextPageToken : undefined;
  return { account: acct, files: (d.files ?? []).map(toFile), truncated: Boolean(next), ...(next ? { nextCursor: next } : {}) };
}

export const driveListFiles = tool({
  name: 'drive_list_files',
  toolset: 'drive',
  title: 'List Drive files',
  description:
    'Files in Google Drive (My Drive and shared drives), newest first: optionally inside one folder, with a name containing a text, or of one MIME type (application/vnd.google-apps.folder, …spreadsheet, …document). Trashed files are left out. Pages with cursor. For Drive query syntax use drive_search.',
  input: z.object({
    folder_id: googleId('folder').optional().describe('Only files directly in this folder ("root" for the top of My Drive).'),
    name_contains: z.string().max(200).optional(),
    mime_type: z.string().max(200).optional(),
    ...pageArgs,
  }),
  output: listOut,
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const q = ['trashed = false'];
    if (args.folder_id) q.push(`${qstr(args.folder_id)} in parents`);
    if (args.name_contains) q.push(`name contains ${qstr(args.name_contains)}`);
    if (args.mime_type) q.push(`mimeType = ${qstr(args.mime_type)}`);
    return listFiles(ctx, q.join(' and '), args.limit, args.cursor, 'modifiedTime desc');
  },
});

const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export const driveUploadFile = tool({
  name: 'drive_upload_file',
  toolset: 'drive',
  title: 'Upload a file to Drive',
  description:
    'Upload a local file into Google Drive: the path must be inside GOOGLE_FILE_ROOTS (no links out), at most GOOGLE_MAX_UPLOAD_BYTES. Optional name, folder (a shared-drive folder works) and MIME type (guessed from the extension otherwise). Returns the new file. A call that times out is reported as UNKNOWN and is not repeated until confirmed.',
  input: z.object({
    path: z.string().min(1).max(4096).describe('Path of the file, inside GOOGLE_FILE_ROOTS (absolute, or relative to the first root).'),
    name: z.string().trim().min(1).max(255).optional().describe('Name in Drive (default: the file name).'),
    folder_id: googleId('folder').optional(),
    mime_type: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as text/csv')
      .optional(),
    ...confirmRepeat,
  }),
  output: z.object({ ...account, file: fileOut, bytes: z.number() }),
  annotations: annotations.additive({ openWorld: true }),
  timeoutMs: 300_000,
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { config } = ctx.state;
    const box = fileSandbox(ctx.state);
    const { data: bytes, path } = await box.readFile(args.path, { maxBytes: config.maxUploadBytes });
    if (bytes.length > config.maxUploadBytes) throw new ToolError(`The file is larger than GOOGLE_MAX_UPLOAD_BYTES (${config.maxUploadBytes} bytes); nothing was uploaded.`, { code: 'too_large' });
    const name = (args.name ?? basename(path)).replace(/[\r\n\0]/g, '_');
    const mimeType = args.mime_type ?? MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';
    const { data, account: acct } = await ctx.state.google.call(
      ctx,
      'drive',
      (c, o) =>
        c.files.create(
          {
            requestBody: { name, mimeType, ...(args.folder_id ? { parents: [args.folder_id] } : {}) },
            media: { mimeType, body: Readable.from([bytes]) },
            supportsAllDrives: true,
            fields: FILE_FIELDS,
          },
          o,
        ),
      { write: true },
    );
    return { account: acct, file: toFile(data as Obj), bytes: bytes.length };
  },
});

export const driveTools = [driveListFiles, driveUploadFile];
