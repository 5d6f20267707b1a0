// The Calendar toolset beyond list and create: calendars, get, update (attendees through the
// allow-list, updates e-mailed only when asked), delete (idempotent), and free time over several
// calendars inside working hours, across a daylight-saving change.
import { textOf } from '@bizmcp/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { calendarCreateEvent, calendarDeleteEvent, calendarFindFreeTime, calendarGetEvent, calendarListCalendars, calendarUpdateEvent } from '../src/tools/calendar.js';
import { type FakeGoogle, startFakeGoogle } from './fake-google.js';
import { connect, storeToken, tempDir } from './helpers.js';

let g: FakeGoogle;
let c: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  g = await startFakeGoogle();
  const dir = tempDir();
  await storeToken(g, dir);
  c = await connect(g, dir, { env: { GOOGLE_ALLOWED_RECIPIENTS: '@example.com' } });
});
afterEach(() => {
  g.assertNoViolations();
  g.reset();
});
afterAll(async () => {
  await c.close();
  await g.close();
});

describe('calendar', () => {
  it('lists calendars', async () => {
    const r = await c.ok(calendarListCalendars, {});
    expect(r.calendars).toEqual([
      { id: 'me@example.com', summary: 'Me', timeZone: 'Europe/Paris', accessRole: 'owner', primary: true },
      { id: 'team@group.calendar.google.com', summary: 'Team (mine)', timeZone: 'UTC', accessRole: 'reader', primary: false },
    ]);
  });

  it('gets, updates (attendees checked, quiet by default) and deletes an event, idempotently', async () => {
    const e = await c.ok(calendarCreateEvent, { summary: 'Plan', start: '2031-04-01T10:00:00Z', end: '2031-04-01T11:00:00Z' });
    const got = await c.ok(calendarGetEvent, { event_id: e.event.id });
    expect(got.event.start).toEqual({ utc: '2031-04-01T10:00:00.000Z', local: '2031-04-01T12:00:00+02:00' });
    const bad = await c.call('calendar_update_event', { event_id: e.event.id, attendees: ['eve@evil.test'] });
    expect(bad.isError).toBe(true);
    expect(g.ops().filter((o) => o === 'calendar.events.patch')).toEqual([]);
    const u = await c.ok(calendarUpdateEvent, {
      event_id: e.event.id,
      summary: 'Plan v2',
      start: '2031-04-01T14:00',
      end: '2031-04-01T15:00',
      time_zone: 'Europe/Paris',
      attendees: ['ana@example.com'],
    });
    expect(u.event.summary).toBe('Plan v2');
    expect(u.event.start.utc).toBe('2031-04-01T12:00:00.000Z');
    expect(new URL(g.apis.calendar.calls('calendar.events.patch')[0].url, 'http://x').searchParams.get('sendUpdates')).toBe('none');
    const d = await c.ok(calendarDeleteEvent, { event_id: e.event.id });
    expect(d.alreadyDeleted).toBe(false);
    const again = await c.ok(calendarDeleteEvent, { event_id: e.event.id });
    expect(again.alreadyDeleted).toBe(true);
    const missing = await c.call('calendar_delete_event', { event_id: 'nosuchevent' });
    expect(missing.isError).toBe(true);
  });

  it('finds windows where everyone is free, inside working hours, in the zone', async () => {
    // Busy: 10:00–11:00 Paris for me; 13:00–15:00 Paris for ana (attendee of a team event).
    await c.ok(calendarCreateEvent, { summary: 'A', start: '2031-03-03T10:00', end: '2031-03-03T11:00', time_zone: 'Europe/Paris' });
    await c.ok(calendarCreateEvent, { calendar_id: 'ana@example.com', summary: 'B', start: '2031-03-03T13:00', end: '2031-03-03T15:00', time_zone: 'Europe/Paris' });
    const r = await c.ok(calendarFindFreeTime, {
      calendars: ['primary', 'ana@example.com'],
      time_min: '2031-03-03T00:00',
      time_max: '2031-03-04T00:00',
      time_zone: 'Europe/Paris',
      duration_minutes: 60,
    });
    expect(r.complete).toBe(true);
    expect(r.windows.map((w) => [w.start.local, w.end.local, w.minutes])).toEqual([
      ['2031-03-03T09:00:00+01:00', '2031-03-03T10:00:00+01:00', 60],
      ['2031-03-03T11:00:00+01:00', '2031-03-03T13:00:00+01:00', 120],
      ['2031-03-03T15:00:00+01:00', '2031-03-03T17:00:00+01:00', 120],
    ]);
    const body = g.apis.calendar.calls('calendar.freebusy.query')[0].body as { items: unknown };
    expect(body.items).toEqual([{ id: 'primary' }, { id: 'ana@example.com' }]);
  });

  it('keeps working hours local across a daylight-saving change, skips weekends, reports unreadable calendars', async () => {
    const r = await c.ok(calendarFindFreeTime, {
      calendars: ['primary', 'nobody@elsewhere.test'],
      time_min: '2031-03-28T00:00',
      time_max: '2031-04-01T00:00',
      time_zone: 'Europe/Paris',
      duration_minutes: 30,
      working_hours_start: '09:00',
      working_hours_end: '10:00',
    });
    // Fri 28 (UTC+1), Sat and Sun skipped (DST starts Sun 30), Mon 31 (UTC+2).
    expect(r.windows.map((w) => w.start.utc)).toEqual(['2031-03-28T08:00:00.000Z', '2031-03-31T07:00:00.000Z']);
    expect(r.complete).toBe(false);
    expect(r.unreadable).toEqual([{ calendar: 'nobody@elsewhere.test', reason: 'notFound' }]);
    const bad = await c.call('calendar_find_free_time', { time_min: '2031-03-01T00:00', time_max: '2031-05-01T00:00', time_zone: 'UTC', duration_minutes: 30 });
    expect(textOf(bad)).toMatch(/31 days/);
  });
});
