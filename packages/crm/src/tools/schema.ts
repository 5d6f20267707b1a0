// What the CRM holds: objects (standard and custom), their fields, and the owners (users) records
// can be assigned to.
import { annotations, pageInput, pageOutput } from '@bizmcp/core';
import { z } from 'zod';
import { objectType, usage, usageOut } from '../schemas.js';
import { tool } from '../state.js';

export const describeObject = tool({
  name: 'describe_object',
  toolset: 'schema',
  title: 'Describe an object',
  description:
    'The fields of an object type: API name, label, type, whether required and read-only, picklist values (what a field accepts) and, for lookups, the objects referenced. Use it before writing properties you are unsure of.',
  input: z.object({ object_type: objectType, name_contains: z.string().max(100).optional().describe('Only fields whose name or label contains this (case-insensitive).') }),
  output: z.object({
    name: z.string(),
    label: z.string(),
    fields: z.array(
      z.object({
        name: z.string(),
        label: z.string(),
        type: z.string(),
        required: z.boolean(),
        readOnly: z.boolean(),
        options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
        referenceTo: z.array(z.string()).optional(),
      }),
    ),
    ...usageOut,
  }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const d = await crm.describe(ctx, args.object_type);
    const w = args.name_contains?.toLowerCase();
    const fields = w ? d.fields.filter((f) => f.name.toLowerCase().includes(w) || f.label.toLowerCase().includes(w)) : d.fields;
    return { ...d, fields: fields.slice(0, 500), ...usage(crm) };
  },
});

export const listObjects = tool({
  name: 'list_objects',
  toolset: 'schema',
  title: 'List object types',
  description: 'The object types of the CRM, standard and custom, with the name the other tools take as object_type.',
  input: z.object({ custom_only: z.boolean().default(false) }),
  output: z.object({ objects: z.array(z.object({ name: z.string(), label: z.string(), custom: z.boolean() })), ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const all = await crm.objects(ctx);
    return { objects: (args.custom_only ? all.filter((o) => o.custom) : all).slice(0, 2000), ...usage(crm) };
  },
});

export const listOwners = tool({
  name: 'list_owners',
  toolset: 'schema',
  title: 'List owners (users)',
  description: 'The users records can be assigned to (HubSpot owners, Salesforce active users), with the id owner_id takes. A page at a time.',
  input: z.object({ ...pageInput({ default: 50, max: 200, what: 'owners' }) }),
  output: z.object({ owners: z.array(z.object({ id: z.string(), name: z.string().optional(), email: z.string().optional(), active: z.boolean() })), ...pageOutput, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm, config } = ctx.state;
    const r = await crm.owners(ctx, args.limit, args.cursor);
    const owners = r.items.map((o) => (config.maskPii && o.email ? { ...o, email: `${o.email[0]}***@${o.email.split('@')[1] ?? ''}` } : o));
    return { owners, truncated: Boolean(r.nextCursor), ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}), ...usage(crm) };
  },
});

export const schemaTools = [describeObject, listObjects, listOwners];
