// Conversations: create a channel (its name allowed by SLACK_ALLOWED_CHANNELS, e.g. #proj-*).
import { z } from 'zod';
import { annotations, ToolError } from '@bizmcp/core';
import { channelSchema } from '../format.js';
import { writesOn } from '../slack.js';
import { tool } from '../state.js';

/** Slack's rule for channel names: lower-case letters, digits, "-", "_", at most 80 characters. */
export const channelName = z
  .string()
  .trim()
  .transform((s) => s.replace(/^#/, ''))
  .pipe(
    z
      .string()
      .min(1)
      .max(80)
      .regex(/^[\p{Ll}\p{Lo}\p{N}_-]+$/u, 'Slack channel names are lower-case letters, digits, "-" and "_", without spaces or periods'),
  )
  .describe('Name without "#": lower-case letters, digits, "-" and "_", at most 80 characters.');

export const createChannel = tool({
  name: 'create_channel',
  toolset: 'conversations',
  title: 'Create a channel',
  description:
    'Create a public or private channel whose name SLACK_ALLOWED_CHANNELS allows (an operator typically allows a prefix such as #proj-*). The name is checked as Slack does (lower case, digits, "-", "_", up to 80). A name already taken is reported as a conflict. Returns the new channel.',
  input: z.object({
    name: channelName,
    is_private: z.boolean().default(false).describe('Create a private channel.'),
  }),
  output: z.object({ channel: channelSchema }),
  annotations: annotations.additive({ openWorld: true }),
  enabled: writesOn,
  rateLimit: { points: 10, durationSec: 60 },
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const allow = api.allowList();
    if (!allow.allowsChannel({ name: args.name })) {
      throw new ToolError(`Channel name #${args.name} is not allowed by SLACK_ALLOWED_CHANNELS; no channel was created.`, {
        code: 'access_denied',
        hint: `Allowed: ${allow.describe().slice(0, 20).join(', ')}. Use a name these allow (a prefix such as #proj-*), or ask the operator.`,
        details: { refused: `#${args.name}`, field: 'name', variable: 'SLACK_ALLOWED_CHANNELS' },
      });
    }
    const r = await api.call(ctx, 'conversations.create', { name: args.name, is_private: args.is_private }, { write: true });
    return { channel: api.rememberChannel(r.channel) };
  },
});

export const conversationTools = [createChannel];
