// Google Calendar: calendars, events (list with a time window, query, recurring events expanded or
// not, cursor; get, update, delete), free time over several calendars, and events created idempotently (a client-chosen id derived from the call). Times in: an explicit IANA
// zone (or an offset); out: UTC and the calendar's zone. Attendees through the allow-list;
// invitations only when asked.
import { createHash } from 'node:crypto';
import { annotations, assertAllowed, cleanText, isToolError, missingCredentials, stableJson, type ToolContext, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import type { Obj } from '../google.js';
import { type GoogleWorkspaceState, tool } from '../state.js';
import { account } from './common.js';

const calendarId = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .regex(/^[^\s/?#]+$/, 'a calendar id ("primary" or an address-like id)')
  .default('primary')
  .describe('"primary" (default) or a calendar id from calendar_list_calendars.');

// ----------------------------------------------------------------------------------- time zones

export function checkZone(zone: string, field = 'time_zone'): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ToolError(`${field} "${zone.slice(0, 60)}" is not an IANA time zone.`, {
      code: 'invalid_argument',
      hint: 'Use a name such as Europe/Paris, America/New_York or UTC.',
      details: { field },
    });
  }
}

const FMT = new Map<string, Intl.DateTimeFormat>();
function parts(ms: number, zone: string) {
  let f = FMT.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    FMT.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return p as Record<string, string>;
}

/** Offset of `zone` from UTC at the instant `ms`, in minutes. */
export function zoneOffsetMin(ms: number, zone: string): number {
  const p = parts(ms, zone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** "2025-03-01T09:00:00+01:00" for an instant in a zone. */
export function inZone(ms: number, zone: string): string {
  const p = parts(ms, zone);
  const off = zoneOffsetMin(ms, zone);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant from a local time and an IANA zone, or from a time that carries its own offset. */
export function toInstant(value: string, zone: string | undefined, field: string): number {
  const v = value.trim();
  if (WITH_OFFSET.test(v)) return Date.parse(v);
  const m = LOCAL.exec(v);
  if (!m) throw new ToolError(`${field} must be a date-time like 2025-03-01T09:00 (with time_zone) or 2025-03-01T09:00:00+01:00.`, { code: 'invalid_argument', details: { field } });
  if (!zone) throw new ToolError(`${field} has no offset, so time_zone is required (an IANA name such as Europe/Paris).`, { code: 'invalid_argument', details: { field: 'time_zone' } });
  const naive = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  let guess = naive - zoneOffsetMin(naive, zone) * 60_000;
  guess = naive - zoneOffsetMin(guess, zone) * 60_000;
  return guess;
}

const when = z.object({ utc: z.string().optional(), local: z.string().optional().describe("In the calendar's time zone."), date: z.string().optional().describe('All-day events: the date.') });

function timeOut(t: Obj | undefined, zone: string): z.infer<typeof when> {
  if (!t) return {};
  if (t.date) return { date: String(t.date) };
  const ms = Date.parse(String(t.dateTime ?? ''));
  if (!Number.isFinite(ms)) return {};
  return { utc: new Date(ms).toISOString(), local: inZone(ms, zone) };
}

export const eventOut = z.object({
  id: z.string(),
  status: z.string().optional(),
  summary: z.string(),
  description: z.string().optional(),
  location: z.string().optional(),
  start: when,
  end: when,
  recurringEventId: z.string().optional(),
  recurrence: z.array(z.string()).optional(),
  attendees: z.array(z.object({ email: z.string(), responseStatus: z.string().optional(), optional: z.boolean().optional() })).optional(),
  organizer: z.string().optional(),
  htmlLink: z.string().optional(),
  hangoutLink: z.string().optional(),
});

export function toEvent(e: Obj, zone: string): z.infer<typeof eventOut> {
  return {
    id: String(e.id),
    status: e.status,
    summary: cleanText(e.summary ?? ''),
    description: e.description ? cleanText(e.description).slice(0, 8000) : undefined,
    location: e.location ? cleanText(e.location) : undefined,
    start: timeOut(e.start, zone),
    end: timeOut(e.end, zone),
    recurringEventId: e.recurringEventId,
    recurrence: e.recurrence,
    attendees: Array.isArray(e.attendees) ? e.attendees.slice(0, 200).map((a: Obj) => ({ email: String(a.email ?? ''), responseStatus: a.responseStatus, optional: a.optional })) : undefined,
    organizer: e.organizer?.email,
    htmlLink: e.htmlLink,
    hangoutLink: e.hangoutLink,
  };
}

// --------------------------------------------------------------------------------------- tools

export const calendarListEvents = tool({
  name: 'calendar_list_events',
  toolset: 'calendar',
  title: 'List calendar events',
  description:
    'Events of a calendar in a time window (default: from now, 7 days), optionally matching a free-text query. Recurring events are expanded into their occurrences unless expand_recurring is false. Times come back in UTC and in the calendar’s zone. Pages with cursor. Event text is third-party data.',
  input: z.object({
    calendar_id: calendarId,
    time_min: z.string().max(40).optional().describe('Start of the window: 2025-03-01T00:00 with time_zone, or with an offset. Default: now.'),
    time_max: z.string().max(40).optional().describe('End of the window (default: time_min + 7 days).'),
    time_zone: z.string().max(64).optional().describe('IANA zone of time_min/time_max when they carry no offset.'),
    query: z.string().max(500).optional().describe('Free text matched against summary, description, location, attendees.'),
    expand_recurring: z.boolean().default(true),
    limit: z.number().int().min(1).max(250).default(50),
    cursor: z.string().max(4096).optional(),
  }),
  output: z.object({ ...account, calendarTimeZone: z.string(), events: z.array(eventOut), truncated: z.boolean(), nextCursor: z.string().optional() }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const zone = args.time_zone ? checkZone(args.time_zone) : undefined;
    const min = args.time_min ? toInstant(args.time_min, zone, 'time_min') : Date.now();
    const max = args.time_max ? toInstant(args.time_max, zone, 'time_max') : min + 7 * 86_400_000;
    if (max <= min) throw new ToolError('time_max must be after time_min.', { code: 'invalid_argument', details: { field: 'time_max' } });
    const { data, account: acct } = await ctx.state.google.call(
      ctx,
      'calendar',
      (c, o) =>
        c.events.list(
          {
            calendarId: args.calendar_id,
            timeMin: new Date(min).toISOString(),
            timeMax: new Date(max).toISOString(),
            q: args.query,
            singleEvents: args.expand_recurring,
            ...(args.expand_recurring ? { orderBy: 'startTime' } : {}),
            maxResults: args.limit,
            pageToken: args.cursor,
          },
          o,
        ),
      { resource: { kind: 'calendar', id: args.calendar_id } },
    );
    const d = data as Obj;
    const calZone = typeof d.timeZone === 'string' ? checkZone(d.timeZone, 'calendar time zone') : 'UTC';
    const next = typeof d.nextPageToken === 'string' ? d.nextPageToken : undefined;
    return { account: acct, calendarTimeZone: calZone, events: (d.items ?? []).map((e: Obj) => toEvent(e, calZone)), truncated: Boolean(next), ...(next ? { nextCursor: next } : {}) };
  },
});

/** Attendees go through GOOGLE_ALLOWED_RECIPIENTS (unset: none allowed). */
export function checkAttendees(state: GoogleWorkspaceState, list: string[] | undefined) {
  if (!list?.length) return;
  const allow = state.config.recipients;
  if (!allow) throw missingCredentials({ what: 'Inviting attendees', vars: ['GOOGLE_ALLOWED_RECIPIENTS'], how: 'Set GOOGLE_ALLOWED_RECIPIENTS to the addresses or @domains events may invite.' });
  list.forEach((a, i) => {
    assertAllowed(allow, a, { field: `attendees[${i}]`, noun: 'Attendee', outcome: 'no event was created or changed' });
  });
}

/** A base32hex event id derived from the call, so a repeated create finds the first event. */
export function eventIdFor(calendar: string, args: unknown): string {
  return `bm${createHash('sha256')
    .update(`${calendar}\n${stableJson(args)}`)
    .digest('hex')
    .slice(0, 40)}`;
}

const timeArg = (what: string) => z.string().trim().min(10).max(40).describe(`${what}: 2025-03-01T09:00 (with time_zone), 2025-03-01T09:00:00+01:00, or a date 2025-03-01 for an all-day event.`);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function eventTime(v: string, zone: string | undefined, field: string): Obj {
  if (DATE.test(v)) return { date: v };
  const ms = toInstant(v, zone, field);
  return zone ? { dateTime: new Date(ms).toISOString().replace(/\.000Z$/, 'Z'), timeZone: zone } : { dateTime: new Date(ms).toISOString().replace(/\.000Z$/, 'Z') };
}

export const calendarCreateEvent = tool({
  name: 'calendar_create_event',
  toolset: 'calendar',
  title: 'Create a calendar event',
  description:
    'Create an event. Times need an explicit zone: a local time with time_zone (IANA, e.g. Europe/Paris) or an offset; a date alone makes an all-day event (end date exclusive). Attendees must be allowed by GOOGLE_ALLOWED_RECIPIENTS; invitations are e-mailed only with send_invitations: true. Safe to retry: the event id is derived from the arguments, so repeating the same call returns the same event (alreadyExisted: true) instead of a duplicate; pass a different dedupe_key to create a second identical event on purpose.',
  input: z.object({
    calendar_id: calendarId,
    summary: z.string().trim().min(1).max(1000),
    start: timeArg('Start'),
    end: timeArg('End'),
    time_zone: z.string().max(64).optional().describe('IANA zone of start/end when they carry no offset; also the event’s zone.'),
    description: z.string().max(8000).optional(),
    location: z.string().max(1000).optional(),
    attendees: z.array(z.string().max(320)).max(100).optional().describe('E-mail addresses, each allowed by GOOGLE_ALLOWED_RECIPIENTS.'),
    send_invitations: z.boolean().default(false).describe('E-mail the attendees (default: add them silently).'),
    recurrence: z
      .array(z.string().regex(/^(RRULE|EXRULE|RDATE|EXDATE)[:;]/, 'an RFC 5545 line such as RRULE:FREQ=WEEKLY;COUNT=4'))
      .max(10)
      .optional(),
    dedupe_key: z.string().max(100).optional().describe('Changes the derived id: only to create a second event with the same details.'),
  }),
  output: z.object({ ...account, event: eventOut, alreadyExisted: z.boolean(), invitationsSent: z.boolean() }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  run: async (args, ctx) => {
    const zone = args.time_zone ? checkZone(args.time_zone) : undefined;
    checkAttendees(ctx.state, args.attendees);
    const start = eventTime(args.start, zone, 'start');
    const end = eventTime(args.end, zone, 'end');
    if (Boolean(start.date) !== Boolean(end.date)) throw new ToolError('start and end must both be dates (all-day) or both date-times.', { code: 'invalid_argument', details: { field: 'end' } });
    const a = start.date ? Date.parse(start.date) : Date.parse(start.dateTime);
    const b = end.date ? Date.parse(end.date) : Date.parse(end.dateTime);
    if (!(b > a)) throw new ToolError('end must be after start (for all-day events the end date is exclusive).', { code: 'invalid_argument', details: { field: 'end' } });
    const id = eventIdFor(args.calendar_id, { ...args, send_invitations: undefined });
    const body: Obj = {
      id,
      summary: args.summary,
      start,
      end,
      ...(args.description ? { description: args.description } : {}),
      ...(args.location ? { location: args.location } : {}),
      ...(args.attendees?.length ? { attendees: args.attendees.map((email) => ({ email })) } : {}),
      ...(args.recurrence?.length ? { recurrence: args.recurrence } : {}),
    };
    const sendUpdates = args.send_invitations ? 'all' : 'none';
    const { google } = ctx.state;
    try {
      const { data, account: acct } = await google.call(ctx, 'calendar', (c, o) => c.events.insert({ calendarId: args.calendar_id, sendUpdates, requestBody: body }, o), {
        write: true,
        idempotent: true,
      });
      const zoneOut = zone ?? (await calendarZone(ctx, args.calendar_id));
      return { account: acct, event: toEvent(data as Obj, zoneOut), alreadyExisted: false, invitationsSent: Boolean(args.send_invitations && args.attendees?.length) };
    } catch (e) {
      if (!isToolError(e) || e.code !== 'conflict') throw e;
      // The id exists: the same call went through before (perhaps its answer was lost).
      const { data, account: acct } = await google.call(ctx, 'calendar', (c, o) => c.events.get({ calendarId: args.calendar_id, eventId: id }, o));
      const zoneOut = zone ?? (await calendarZone(ctx, args.calendar_id));
      return { account: acct, event: toEvent(data as Obj, zoneOut), alreadyExisted: true, invitationsSent: false };
    }
  },
});

async function calendarZone(ctx: ToolContext<GoogleWorkspaceState>, id: string): Promise<string> {
  try {
    const { data } = await ctx.state.google.call(ctx, 'calendar', (c, o) => c.calendars.get({ calendarId: id, fields: 'timeZone' }, o));
    return typeof (data as Obj).timeZone === 'string' ? checkZone((data as Obj).timeZone) : 'UTC';
  } catch {
    return 'UTC';
  }
}

export const calendarListCalendars = tool({
  name: 'calendar_list_calendars',
  toolset: 'calendar',
  title: 'List calendars',
  description: 'The calendars in the account’s calendar list: id, name, time zone, access role, whether primary. Use an id as calendar_id elsewhere. Pages with cursor.',
  input: z.object({ limit: z.number().int().min(1).max(250).default(100), cursor: z.string().max(4096).optional() }),
  output: z.object({
    ...account,
    calendars: z.array(z.object({ id: z.string(), summary: z.string(), timeZone: z.string().optional(), accessRole: z.string().optional(), primary: z.boolean() })),
    truncated: z.boolean(),
    nextCursor: z.string().optional(),
  }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const { data, account: acct } = await ctx.state.google.call(ctx, 'calendar', (c, o) => c.calendarList.list({ maxResults: args.limit, pageToken: args.cursor }, o));
    const d = data as Obj;
    const next = typeof d.nextPageToken === 'string' ? d.nextPageToken : undefined;
    return {
      account: acct,
      calendars: (d.items ?? []).map((c: Obj) => ({
        id: String(c.id),
        summary: cleanText(c.summaryOverride ?? c.summary ?? ''),
        timeZone: c.timeZone,
        accessRole: c.accessRole,
        primary: c.primary === true,
      })),
      truncated: Boolean(next),
      ...(next ? { nextCursor: next } : {}),
    };
  },
});

const eventId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_]{1,1024}$/, 'an event id from calendar_list_events')
  .describe('The event id (an occurrence of a recurring event has its own id).');

export const calendarGetEvent = tool({
  name: 'calendar_get_event',
  toolset: 'calendar',
  title: 'Get an event',
  description: 'One event by id, with attendees and their responses; times in UTC and the calendar’s zone. Event text is third-party data.',
  input: z.object({ calendar_id: calendarId, event_id: eventId }),
  output: z.object({ ...account, event: eventOut }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const { data, account: acct } = await ctx.state.google.call(ctx, 'calendar', (c, o) => c.events.get({ calendarId: args.calendar_id, eventId: args.event_id }, o), {
      resource: { kind: 'event', id: args.event_id },
    });
    return { account: acct, event: toEvent(data as Obj, await calendarZone(ctx, args.calendar_id)) };
  },
});

export const calendarUpdateEvent = tool({
  name: 'calendar_update_event',
  toolset: 'calendar',
  title: 'Update an event',
  description:
    'Change the given fields of an event (the others stay): summary, description, location, start/end (with time_zone or an offset), attendees (the whole new list, each allowed by GOOGLE_ALLOWED_RECIPIENTS). Attendees are e-mailed about the change only with send_updates: true. Returns the event.',
  input: z.object({
    calendar_id: calendarId,
    event_id: eventId,
    summary: z.string().trim().min(1).max(1000).optional(),
    description: z.string().max(8000).optional(),
    location: z.string().max(1000).optional(),
    start: timeArg('New start').optional(),
    end: timeArg('New end').optional(),
    time_zone: z.string().max(64).optional(),
    attendees: z.array(z.string().max(320)).max(100).optional().describe('Replaces the attendee list.'),
    send_updates: z.boolean().default(false),
  }),
  output: z.object({ ...account, event: eventOut }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  run: async (args, ctx) => {
    const zone = args.time_zone ? checkZone(args.time_zone) : undefined;
    checkAttendees(ctx.state, args.attendees);
    if (Boolean(args.start) !== Boolean(args.end)) throw new ToolError('Give both start and end to move an event.', { code: 'invalid_argument', details: { field: args.start ? 'end' : 'start' } });
    const body: Obj = {};
    if (args.summary !== undefined) body.summary = args.summary;
    if (args.description !== undefined) body.description = args.description;
    if (args.location !== undefined) body.location = args.location;
    if (args.start && args.end) {
      body.start = eventTime(args.start, zone, 'start');
      body.end = eventTime(args.end, zone, 'end');
    }
    if (args.attendees) body.attendees = args.attendees.map((email) => ({ email }));
    if (!Object.keys(body).length) throw new ToolError('Nothing to change: give at least one field.', { code: 'invalid_argument' });
    const { data, account: acct } = await ctx.state.google.call(
      ctx,
      'calendar',
      (c, o) => c.events.patch({ calendarId: args.calendar_id, eventId: args.event_id, sendUpdates: args.send_updates ? 'all' : 'none', requestBody: body }, o),
      { write: true, idempotent: true, resource: { kind: 'event', id: args.event_id } },
    );
    return { account: acct, event: toEvent(data as Obj, zone ?? (await calendarZone(ctx, args.calendar_id))) };
  },
});

export const calendarDeleteEvent = tool({
  name: 'calendar_delete_event',
  toolset: 'calendar',
  title: 'Delete an event',
  description:
    'Delete an event (for a recurring event: the whole series when given the series id, one occurrence when given its id). Destructive. Attendees are told only with send_updates: true. Deleting an event already deleted succeeds with alreadyDeleted: true.',
  input: z.object({ calendar_id: calendarId, event_id: eventId, send_updates: z.boolean().default(false) }),
  output: z.object({ ...account, deleted: z.string(), alreadyDeleted: z.boolean() }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  run: async (args, ctx) => {
    try {
      const { account: acct } = await ctx.state.google.call(
        ctx,
        'calendar',
        (c, o) => c.events.delete({ calendarId: args.calendar_id, eventId: args.event_id, sendUpdates: args.send_updates ? 'all' : 'none' }, o),
        {
          write: true,
          idempotent: true,
          resource: { kind: 'event', id: args.event_id },
        },
      );
      return { account: acct, deleted: args.event_id, alreadyDeleted: false };
    } catch (e) {
      // Google answers 410 Gone for an event deleted before.
      if (isToolError(e) && e.details?.status === 410) {
        const creds = await ctx.state.google.credentials();
        return { account: creds.account, deleted: args.event_id, alreadyDeleted: true };
      }
      throw e;
    }
  },
});

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 09:00');

export const calendarFindFreeTime = tool({
  name: 'calendar_find_free_time',
  toolset: 'calendar',
  title: 'Find free time',
  description:
    'Free/busy over several calendars (people’s addresses or calendar ids): the free windows of at least duration_minutes where all of them are free, inside working hours (default 09:00–17:00, Monday to Friday) in the given IANA zone. Windows are returned in UTC and in that zone. A calendar Google could not read is listed in unreadable and makes complete false: its busy times are unknown.',
  input: z.object({
    calendars: z.array(z.string().trim().min(1).max(320)).min(1).max(50).default(['primary']),
    time_min: z.string().max(40).describe('Start of the search: 2025-03-03T00:00 (in time_zone) or with an offset.'),
    time_max: z.string().max(40).describe('End of the search (at most 31 days after time_min).'),
    time_zone: z.string().max(64).describe('IANA zone of the working hours (and of times without offset).'),
    duration_minutes: z.number().int().min(5).max(1440),
    working_hours_start: HHMM.default('09:00'),
    working_hours_end: HHMM.default('17:00'),
    working_days: z.array(z.number().int().min(0).max(6)).min(1).max(7).default([1, 2, 3, 4, 5]).describe('0 = Sunday … 6 = Saturday.'),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  output: z.object({
    ...account,
    timeZone: z.string(),
    windows: z.array(z.object({ start: when, end: when, minutes: z.number() })),
    unreadable: z.array(z.object({ calendar: z.string(), reason: z.string() })),
    complete: z.boolean(),
    truncated: z.boolean(),
  }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const zone = checkZone(args.time_zone);
    const min = toInstant(args.time_min, zone, 'time_min');
    const max = toInstant(args.time_max, zone, 'time_max');
    if (max <= min) throw new ToolError('time_max must be after time_min.', { code: 'invalid_argument', details: { field: 'time_max' } });
    if (max - min > 31 * 86_400_000) throw new ToolError('Search at most 31 days at a time.', { code: 'invalid_argument', details: { field: 'time_max' } });
    if (args.working_hours_end <= args.working_hours_start)
      throw new ToolError('working_hours_end must be after working_hours_start.', { code: 'invalid_argument', details: { field: 'working_hours_end' } });
    const { data, account: acct } = await ctx.state.google.call(ctx, 'calendar', (c, o) =>
      c.freebusy.query({ requestBody: { timeMin: new Date(min).toISOString(), timeMax: new Date(max).toISOString(), timeZone: zone, items: args.calendars.map((id) => ({ id })) } }, o),
    );
    const cals = ((data as Obj).calendars ?? {}) as Record<string, Obj>;
    const busy: [number, number][] = [];
    const unreadable: { calendar: string; reason: string }[] = [];
    for (const id of args.calendars) {
      const c = cals[id];
      if (!c || c.errors?.length) {
        unreadable.push({ calendar: id, reason: c?.errors?.[0]?.reason ?? 'not returned' });
        continue;
      }
      for (const b of c.busy ?? []) busy.push([Date.parse(b.start), Date.parse(b.end)]);
    }
    busy.sort((a, b) => a[0] - b[0]);
    const windows: { start: z.infer<typeof when>; end: z.infer<typeof when>; minutes: number }[] = [];
    const need = args.duration_minutes * 60_000;
    let truncated = false;
    // Each day of the window, in the zone: its working hours, minus the busy times.
    const first = inZone(min, zone).slice(0, 10);
    for (let day = Date.parse(`${first}T12:00:00Z`); day < max + 86_400_000 && !truncated; day += 86_400_000) {
      const date = new Date(day).toISOString().slice(0, 10);
      if (!args.working_days.includes(new Date(day).getUTCDay())) continue;
      let from = Math.max(min, toInstant(`${date}T${args.working_hours_start}`, zone, 'working_hours_start'));
      const to = Math.min(max, toInstant(`${date}T${args.working_hours_end}`, zone, 'working_hours_end'));
      for (const [b0, b1] of [...busy.filter(([b0, b1]) => b1 > from && b0 < to), [to, to] as [number, number]]) {
        if (b0 - from >= need) {
          if (windows.length >= args.limit) {
            truncated = true;
            break;
          }
          windows.push({
            start: { utc: new Date(from).toISOString(), local: inZone(from, zone) },
            end: { utc: new Date(b0).toISOString(), local: inZone(b0, zone) },
            minutes: Math.round((b0 - from) / 60_000),
          });
        }
        from = Math.max(from, b1);
      }
    }
    return { account: acct, timeZone: zone, windows, unreadable, complete: unreadable.length === 0, truncated };
  },
});

export const calendarTools = [calendarListCalendars, calendarListEvents, calendarGetEvent, calendarCreateEvent, calendarUpdateEvent, calendarDeleteEvent, calendarFindFreeTime];
