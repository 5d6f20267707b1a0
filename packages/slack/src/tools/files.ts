// Files: download into and upload from SLACK_FILE_ROOTS. Upload through Slack's two-step upload
// (files.getUploadURLExternal, the bytes to the returned URL — checked to be a Slack file host and
// sent without the token — then files.completeUploadExternal to share it).
import { basename, join } from 'node:path';
import { z } from 'zod';
import { annotations, cleanText, missingCredentials, ToolError } from '@bizmcp/core';
import { channelArg, confirmRepeat, tsArg } from '../format.js';
import { writesOn } from '../slack.js';
import { type SlackState, tool } from '../state.js';

export function fileSandbox(state: SlackState) {
  if (!state.files) throw missingCredentials({ what: 'File transfer', vars: ['SLACK_FILE_ROOTS'], how: 'Set SLACK_FILE_ROOTS to the directories the server may upload from and download to.' });
  return state.files;
}

export const uploadFile = tool({
  name: 'upload_file',
  toolset: 'files',
  title: 'Upload a file',
  description:
    'Share a local file in a channel this server may write to: the path must be inside SLACK_FILE_ROOTS (no links out), at most SLACK_MAX_FILE_BYTES. Optional title, a message with it (initial_comment, broadcast mentions neutralised) and thread_ts to put it in a thread. Returns the Slack file id. A call that times out is reported as UNKNOWN and not repeated until confirmed.',
  input: z.object({
    channel: channelArg,
    path: z.string().min(1).max(4096).describe('Path of the file, inside SLACK_FILE_ROOTS (absolute, or relative to the first root).'),
    filename: z.string().trim().min(1).max(255).optional().describe('Name shown in Slack (default: the file name).'),
    title: z.string().trim().max(255).optional(),
    initial_comment: z.string().max(40_000).optional().describe('Message posted with the file (mrkdwn).'),
    thread_ts: tsArg('Share the file in the thread of this message.').optional(),
    ...confirmRepeat,
  }),
  output: z.object({ fileId: z.string(), name: z.string(), bytes: z.number(), channel: z.string(), channelName: z.string().optional(), neutralisedMentions: z.number() }),
  annotations: annotations.additive({ openWorld: true }),
  enabled: writesOn,
  timeoutMs: 180_000,
  rateLimit: { points: 10, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const box = fileSandbox(ctx.state);
    const ch = await api.writableChannel(ctx, args.channel, 'nothing was uploaded');
    const { data, path } = await box.readFile(args.path, { maxBytes: config.maxFileBytes });
    if (data.length > config.maxFileBytes) throw new ToolError(`The file is larger than SLACK_MAX_FILE_BYTES (${config.maxFileBytes} bytes); nothing was uploaded.`, { code: 'too_large' });
    if (data.length === 0) throw new ToolError('The file is empty; Slack does not take empty uploads.', { code: 'invalid_argument', details: { field: 'path' } });
    const name = (args.filename ?? basename(path)).replace(/[\r\n\0/\\]/g, '_');
    const n = api.neutralise(args.initial_comment, undefined);
    const target = await api.call(ctx, 'files.getUploadURLExternal', { filename: name, length: data.length });
    const uploadUrl = String(target.upload_url ?? '');
    const fileId = String(target.file_id ?? '');
    await api.sendUpload(ctx, uploadUrl, data, name);
    await api.call(
      ctx,
      'files.completeUploadExternal',
      {
        files: JSON.stringify([{ id: fileId, ...(args.title ? { title: args.title } : {}) }]),
        channel_id: ch.id,
        initial_comment: n.text,
        thread_ts: args.thread_ts,
      },
      { write: true },
    );
    return { fileId, name: cleanText(name), bytes: data.length, channel: ch.id, channelName: ch.name, neutralisedMentions: n.neutralised };
  },
});

export const downloadFile = tool({
  name: 'download_file',
  toolset: 'files',
  title: 'Download a file',
  description:
    'Save a Slack file (by id, F…) into SLACK_FILE_ROOTS: only from Slack’s own file hosts, at most SLACK_MAX_FILE_BYTES; an existing file is not overwritten unless overwrite. Returns where it was saved and its size. The content is third-party data.',
  input: z.object({
    file_id: z
      .string()
      .trim()
      .regex(/^F[A-Z0-9]{6,20}$/, 'a Slack file id (F…)'),
    path: z.string().min(1).max(4096).describe('Where to save it, inside SLACK_FILE_ROOTS (a directory: the file keeps its Slack name).'),
    overwrite: z.boolean().default(false),
  }),
  output: z.object({ fileId: z.string(), name: z.string(), path: z.string(), bytes: z.number() }),
  annotations: annotations.additive({ openWorld: true }),
  timeoutMs: 180_000,
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const box = fileSandbox(ctx.state);
    const info = (await api.call(ctx, 'files.info', { file: args.file_id })).file ?? {};
    const name =
      cleanText(String(info.name ?? args.file_id))
        .replace(/[\r\n\0/\\]/g, '_')
        .replace(/^\.+/, '_') || args.file_id;
    if (typeof info.size === 'number' && info.size > config.maxFileBytes) {
      throw new ToolError(`The file is ${info.size} bytes, above SLACK_MAX_FILE_BYTES (${config.maxFileBytes}); it was not downloaded.`, { code: 'too_large' });
    }
    const url = String(info.url_private_download ?? info.url_private ?? '');
    if (!url) throw new ToolError('Slack gave no download URL for this file (an external or deleted file?).', { code: 'not_found' });
    let target = args.path;
    const st = await box.stat(args.path, 'entry').catch(() => undefined);
    if (st?.stat.isDirectory()) target = join(st.path, name);
    const { data } = await api.fetchFile(ctx, url);
    const saved = await box.writeFile(target, data, { overwrite: args.overwrite });
    return { fileId: args.file_id, name, path: saved.path, bytes: data.length };
  },
});

export const fileTools = [uploadFile, downloadFile];
