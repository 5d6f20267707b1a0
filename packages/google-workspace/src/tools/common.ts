// Argument and result pieces the tool groups share.
import { missingCredentials } from '@bizmcp/core';
import { z } from 'zod';
import type { GoogleWorkspaceState } from '../state.js';

/** Every result says which account the call acted as (the delegated user, for a service account). */
export const account = { account: z.string().describe('The Google account the call acted as (for a service account with delegation: the impersonated user).') };

export const confirmRepeat = {
  confirm_repeat: z.boolean().optional().describe('Only after an UNKNOWN outcome, once you checked the first call did not take effect: repeat it anyway.'),
};

/** A Google id (file, spreadsheet, document, event, message): letters, digits, "-" and "_". */
export const googleId = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, `a ${what} id (letters, digits, "-" and "_"), as in its URL`)
    .describe(`The ${what} id (from its URL or a list result).`);

export const cellValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export function fileSandbox(state: GoogleWorkspaceState) {
  if (!state.files) throw missingCredentials({ what: 'File transfer', vars: ['GOOGLE_FILE_ROOTS'], how: 'Set GOOGLE_FILE_ROOTS to the directories the server may upload from and download to.' });
  return state.files;
}

/** Reading long text by pages of characters: the arguments and the result fields (core's pageText). */
export const textPageInput = {
  start_index: z.number().int().min(0).default(0),
  max_chars: z.number().int().min(100).max(2_000_000).optional().describe('Default and upper bound: GOOGLE_MAX_TEXT_CHARS.'),
};
export const textPageOutput = {
  text: z.string(),
  totalLength: z.number(),
  startIndex: z.number(),
  truncated: z.boolean(),
  nextStartIndex: z.number().optional(),
};
