import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index';
import { walkPresence } from '../src/presence';
import { joined, person, room, waitFor } from './people';
import { type ParleyServer, startServer } from './server';

/**
 * Presence modes against a real server whose rooms send arrivals and departures up to two users
 * online (`PRESENCE_MEMBERS_MAX=2`), and only their count past that.
 */

let server: ParleyServer;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  server = await startServer({ PRESENCE_MEMBERS_MAX: '2' });
});

afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
});

afterAll(async () => {
  await server?.stop();
});

async function someone(name: string, options: Parameters<typeof person>[2] = {}) {
  const client = await person(server.url, name, options);
  clients.push(client);
  return client;
}

async function enters(client: ParleyClient, name: string) {
  client.join(name);
  await joined(client, name);
}

const namesIn = (client: ParleyClient, name: string) =>
  (room(client, name)?.members ?? []).map((m) => m.name).sort();

describe('a room past the threshold', () => {
  it('goes to count presence, pages who is there on demand, and comes back to a live list', async () => {
    const ana = await someone('Ana', { random: () => 0.5 });
    await enters(ana, 'crowd');
    expect(room(ana, 'crowd')?.details.presence).toBe('members');
    expect(room(ana, 'crowd')?.membersStatus).toBe('live');

    // Who Ana hears of, one by one or in batches.
    const heard: string[] = [];
    ana.on('presence:joined', ({ member }) => heard.push(`+${member.name}`));
    ana.on('presence:left', ({ member }) => heard.push(`-${member.name}`));
    ana.on('presence:changed', ({ joined, left }) =>
      heard.push(...left.map((m) => `-${m.name}`), ...joined.map((m) => `+${m.name}`)),
    );
    const others = await Promise.all(['Bo', 'Cy', 'Dee'].map((name) => someone(name)));
    for (const other of others) await enters(other, 'crowd');

    const big = await waitFor(
      ana,
      'count presence, 4 online',
      (s) => s.rooms.crowd?.details.presence === 'count' && s.rooms.crowd.details.memberCount === 4,
    );
    expect(big.rooms.crowd?.membersStatus).toBe('sample');
    // Dee came when the room was past the threshold already: nobody was told one by one. A
    // sentinel proves it, not a wait: Eve comes after Dee's join was answered, so the count that
    // includes her is sent after anything the room had to say of Dee (one room's sends go out
    // in order, and the count is read when it is sent).
    const eve = await someone('Eve');
    await enters(eve, 'crowd');
    await waitFor(ana, 'Eve counted', (s) => s.rooms.crowd?.details.memberCount === 5);
    expect(heard).not.toContain('+Dee');
    expect(heard).not.toContain('+Eve');
    expect(await eve.leave('crowd')).toBeNull();
    await waitFor(ana, 'Eve gone again', (s) => s.rooms.crowd?.details.memberCount === 4);

    // Who is here, on demand: one page of about one user at a time, every page.
    const pages: number[] = [];
    const everyone = await walkPresence(
      async (page) => {
        const result = await ana.listPresence('crowd', page);
        if (result.ok) pages.push(result.members.length);
        return result;
      },
      { limit: 1 },
    );
    expect(everyone).toMatchObject({ ok: true, memberCount: 4 });
    if (!everyone.ok) return;
    expect(everyone.members.map((m) => m.name).sort()).toEqual(['Ana', 'Bo', 'Cy', 'Dee']);
    expect(pages.length).toBeGreaterThan(1);

    // A single page answers too, typed, with the count.
    const first = await ana.listPresence('crowd', { limit: 2 });
    expect(first).toMatchObject({ ok: true, memberCount: 4 });

    // Down to two: members presence again, and the list fetched again is exactly who is here.
    const [bo, cy, dee] = others;
    expect(await cy?.leave('crowd')).toBeNull();
    dee?.dispose();
    await waitFor(
      ana,
      'members presence again, with exactly Ana and Bo listed live',
      (s) =>
        s.rooms.crowd?.details.presence === 'members' &&
        s.rooms.crowd.membersStatus === 'live' &&
        s.rooms.crowd.details.memberCount === 2,
    );
    expect(namesIn(ana, 'crowd')).toEqual(['Ana', 'Bo']);

    // From then on arrivals and departures are live again.
    bo?.dispose();
    await waitFor(ana, 'Bo gone', (s) => s.rooms.crowd?.members.length === 1);
    expect(namesIn(ana, 'crowd')).toEqual(['Ana']);
  });

  it('a join answer of a room in count presence is a sample, with the count of everyone', async () => {
    const people = await Promise.all(['Eve', 'Fay', 'Gus'].map((name) => someone(name)));
    for (const one of people) await enters(one, 'packed');
    const late = await someone('Hal');
    await enters(late, 'packed');
    const state = room(late, 'packed');
    expect(state?.details).toMatchObject({ presence: 'count', memberCount: 4 });
    expect(state?.membersStatus).toBe('sample');
  });
});

describe('a burst of arrivals in a room in members presence', () => {
  it('ends with exactly who is present, however it was batched', async () => {
    const local = await startServer({ PRESENCE_MEMBERS_MAX: '100' });
    const made: ParleyClient[] = [];
    try {
      const observer = await person(local.url, 'Watcher');
      made.push(observer);
      observer.join('burst');
      await joined(observer, 'burst');
      // What the server sent, to say so if the list is wrong: batches, lone changes.
      const heard: string[] = [];
      observer.on('presence:changed', ({ joined, left }) =>
        heard.push(`changed +${joined.length} -${left.length}`),
      );
      observer.on('presence:joined', () => heard.push('joined'));
      observer.on('presence:left', () => heard.push('left'));
      const names = Array.from({ length: 8 }, (_, i) => `Guest${i}`);
      const guests = await Promise.all(names.map((name) => person(local.url, name)));
      made.push(...guests);
      // All at once: they arrive within one window (presence:changed) or a few.
      for (const guest of guests) guest.join('burst');
      await Promise.all(guests.map((guest) => joined(guest, 'burst')));
      await waitFor(observer, 'all nine present', (s) => s.rooms.burst?.members.length === 9);
      expect(namesIn(observer, 'burst'), heard.join(', ')).toEqual([...names, 'Watcher'].sort());
      expect(room(observer, 'burst')?.membersStatus).toBe('live');

      // And a burst of departures.
      for (const guest of guests.slice(0, 5)) guest.dispose();
      await waitFor(observer, 'four present', (s) => s.rooms.burst?.members.length === 4);
      expect(namesIn(observer, 'burst'), heard.join(', ')).toEqual(
        [...names.slice(5), 'Watcher'].sort(),
      );
      // Nothing more arrives: the list stays exact. A sentinel proves it, not a wait: Late
      // joins after every departure above was announced, and the room's announcements go out
      // in order, so whatever was still to come of the burst comes before Late's arrival.
      const late = await person(local.url, 'Late');
      made.push(late);
      await enters(late, 'burst');
      await waitFor(observer, 'Late present', (s) =>
        Boolean(s.rooms.burst?.members.some((m) => m.name === 'Late')),
      );
      expect(namesIn(observer, 'burst'), heard.join(', ')).toEqual(
        [...names.slice(5), 'Late', 'Watcher'].sort(),
      );
      expect(room(observer, 'burst')?.details.memberCount).toBe(5);
    } finally {
      for (const client of made) client.dispose();
      await local.stop();
    }
  });
});
