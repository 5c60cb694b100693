import { request } from '@parley/protocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  disconnectHandled,
  messagesOf,
  nextEvent,
  presenceLog,
  settle,
  sleep,
  startServer,
  type TestServer,
  testConfig,
} from '../../test/helpers';
import { StoreUnavailableError } from '../stores/errors';
import { createMemoryStores } from '../stores/memory';

/** How often at most a room's count is announced: ROOM_ANNOUNCE_INTERVAL_MS in server.ts. */
const ANNOUNCE_INTERVAL_MS = 200;

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.close());

describe('rooms and presence', () => {
  it('join answers the room, the latest page, the members and counts users', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const first = await call(ana, 'room:join', { room: 'general' });
    expect(first).toMatchObject({
      room: {
        name: 'general',
        topic: null,
        memberCount: 1,
        lastSeq: 0,
        visibility: 'public',
        readOnly: false,
        role: 'owner',
      },
      messages: [],
      members: [{ id: 'ana', name: 'Ana' }],
      hasMore: false,
      recovered: false,
    });
    for (let i = 1; i <= 60; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    const joined = await call(bo, 'room:join', { room: 'general' });
    expect(joined.room).toMatchObject({ memberCount: 2, lastSeq: 60 });
    expect(joined.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    expect(joined.hasMore).toBe(true);
    expect(joined.members.map((m) => m.id).sort()).toEqual(['ana', 'bo']);
  });

  it('a user with three tabs is one member: joined on the first, left after the last', async () => {
    const watcher = await t.connect('acme', await t.token('Watcher', { sub: 'w' }));
    await call(watcher, 'room:join', { room: 'general' });
    const heard = presenceLog(watcher);
    const counts = collect(watcher, 'room:updated');
    /** Someone else arrives: heard after anything the calls before it caused. */
    let sentinels = 0;
    const sentinel = async () => {
      const id = `sentinel-${++sentinels}`;
      const socket = await t.connect('acme', await t.token(id, { sub: id }));
      await call(socket, 'room:join', { room: 'general' });
      await expect.poll(() => heard.some((h) => h.id === id)).toBe(true);
    };
    const ana = () => heard.filter((h) => h.id === 'ana');

    const anaToken = await t.token('Ana', { sub: 'ana' });
    const tab1 = await t.connect('acme', anaToken);
    const tab2 = await t.connect('acme', anaToken);
    const tab3 = await t.connect('acme', anaToken);
    for (const tab of [tab1, tab2, tab3]) await call(tab, 'room:join', { room: 'general' });
    await sentinel();
    expect(ana()).toEqual([{ room: 'general', id: 'ana', joined: true }]);
    // Counts are coalesced: the lobby hears the latest one shortly after.
    await expect
      .poll(() => counts.at(-1))
      .toEqual({
        room: 'general',
        topic: null,
        memberCount: 3,
        visibility: 'public',
        readOnly: false,
        presence: 'members',
      });
    expect((await call(watcher, 'room:join', { room: 'general' })).members).toHaveLength(3);

    await call(tab1, 'room:leave', { room: 'general' });
    await disconnectHandled(t, tab2);
    await sentinel();
    expect(ana()).toHaveLength(1);

    tab3.disconnect();
    await expect.poll(() => ana()).toHaveLength(2);
    expect(ana()[1]).toEqual({ room: 'general', id: 'ana', joined: false });
    await expect.poll(() => counts.at(-1)).toMatchObject({ memberCount: 3 });
  });

  it('room:updated reaches lobbies (sockets that listed the rooms) and members, not idle sockets', async () => {
    const lobby = await t.connect('acme', await t.token('Lobby'));
    await call(lobby, 'room:list', {});
    const idle = await t.connect('acme', await t.token('Idle'));
    const idleHeard = collect(idle, 'room:updated');
    const updated = nextEvent(lobby, 'room:updated', (u) => u.room === 'design');
    const ana = await t.connect('acme', await t.token('Ana'));
    const anaHeard = nextEvent(ana, 'room:updated', (u) => u.room === 'design');
    await call(ana, 'room:join', { room: 'design' });
    expect(await updated).toEqual({
      room: 'design',
      topic: null,
      memberCount: 1,
      visibility: 'public',
      readOnly: false,
      presence: 'members',
    });
    expect(await anaHeard).toEqual({
      room: 'design',
      topic: null,
      memberCount: 1,
      visibility: 'public',
      readOnly: false,
      presence: 'members',
    });
    const emptied = nextEvent(
      lobby,
      'room:updated',
      (u) => u.room === 'design' && u.memberCount === 0,
    );
    ana.disconnect();
    await emptied;
    await settle(idle);
    expect(idleHeard).toEqual([]);
  });

  it('coalesces room counts: a join storm costs a few broadcasts, the last one exact', async () => {
    const lobby = await t.connect('acme', await t.token('Lobby'));
    await call(lobby, 'room:list', {});
    const counts = collect(lobby, 'room:updated');
    const joiners = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => t.connect('acme', await t.token(`U${i}`))),
    );
    const stormStarted = Date.now();
    await Promise.all(joiners.map((socket) => call(socket, 'room:join', { room: 'storm' })));
    const stormMs = Date.now() - stormStarted;
    await expect.poll(() => counts.at(-1)?.memberCount).toBe(20);
    // One count per interval the joins took at most (and the last): 3 allowed whenever they
    // take less than an interval, as on any quick machine; more only if the joins took longer.
    expect(counts.length).toBeLessThanOrEqual(Math.floor(stormMs / ANNOUNCE_INTERVAL_MS) + 3);
  });

  it('lobbies hear a busy room once a second, its members every window, both ending exact', async () => {
    const lobby = await t.connect('acme', await t.token('Lobby'));
    await call(lobby, 'room:list', {});
    const member = await t.connect('acme', await t.token('Member'));
    await call(member, 'room:join', { room: 'busy' });
    const lobbyHeard = collect(lobby, 'room:updated');
    const memberHeard = collect(member, 'room:updated');
    const started = Date.now();
    // People come and go for about a second and a half, a few at a time.
    let present = 1;
    for (let round = 0; round < 8; round++) {
      const comers = await Promise.all(
        Array.from({ length: 3 }, async (_, i) =>
          t.connect('acme', await t.token(`R${round}U${i}`, { sub: `r${round}u${i}` })),
        ),
      );
      await Promise.all(comers.map((socket) => call(socket, 'room:join', { room: 'busy' })));
      await call(comers[0] as never, 'room:leave', { room: 'busy' });
      present += 2;
      await sleep(ANNOUNCE_INTERVAL_MS); // pacing the load, not waiting for anything
    }
    const spanMs = Date.now() - started;
    await expect.poll(() => lobbyHeard.at(-1)?.memberCount, { timeout: 5000 }).toBe(present);
    await expect.poll(() => memberHeard.at(-1)?.memberCount).toBe(present);
    // The lobby: the first change at once, then at most one a second (and the last).
    expect(lobbyHeard.length).toBeLessThanOrEqual(Math.ceil(spanMs / 1000) + 2);
    // Members follow every window: never fewer than the lobby.
    expect(memberHeard.length).toBeGreaterThanOrEqual(lobbyHeard.length);
    expect(lobbyHeard.every((update) => update.room === 'busy')).toBe(true);
  });

  it('room:list pages the workspace rooms by name, with online counts, and searches by prefix', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    const bo = await t.connect('acme', await t.token('Bo'));
    await call(ana, 'room:join', { room: 'quiet' });
    await call(ana, 'room:join', { room: 'busy' });
    await call(bo, 'room:join', { room: 'busy' });
    await call(bo, 'room:leave', { room: 'busy' });
    await call(bo, 'room:join', { room: 'busy' });
    await call(ana, 'room:join', { room: 'empty' });
    await call(ana, 'room:leave', { room: 'empty' });
    expect(await call(bo, 'room:list', {})).toMatchObject({
      rooms: [
        { name: 'busy', topic: null, memberCount: 2, visibility: 'public', readOnly: false },
        { name: 'empty', topic: null, memberCount: 0, visibility: 'public', readOnly: false },
        { name: 'quiet', topic: null, memberCount: 1, visibility: 'public', readOnly: false },
      ],
      nextCursor: null,
    });
    const first = await call(bo, 'room:list', { limit: 2 });
    expect(first.rooms.map((r) => r.name)).toEqual(['busy', 'empty']);
    expect(first.nextCursor).toBe('empty');
    const second = await call(bo, 'room:list', { limit: 2, cursor: 'empty' });
    expect(second).toMatchObject({ rooms: [{ name: 'quiet', memberCount: 1 }], nextCursor: null });
    const searched = await call(bo, 'room:list', { prefix: 'qu' });
    expect(searched.rooms.map((r) => r.name)).toEqual(['quiet']);
    expect(await request(bo, 'room:list', { limit: 101 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_payload' },
    });
  });

  it('deletes rooms nobody used once they stayed empty for ROOM_IDLE_TTL_SECONDS; keeps the rest', async () => {
    await t.close();
    t = await startServer({
      ROOM_IDLE_TTL_SECONDS: '1',
      PARLEY_API_KEYS: `backend:${'k'.repeat(32)}`,
    });
    const ana = await t.connect('acme', await t.token('Ana'));
    const bo = await t.connect('acme', await t.token('Bo'));
    await call(ana, 'room:join', { room: 'talked' });
    await call(ana, 'message:send', { room: 'talked', text: 'kept', clientMsgId: 'k' });
    await call(ana, 'room:leave', { room: 'talked' });
    await call(bo, 'room:join', { room: 'occupied' });
    const topic = await fetch(`${t.url}/api/v1/workspaces/acme/rooms/topical/topic`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${'k'.repeat(32)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'kept too' }),
    });
    expect(topic.status).toBe(200);
    // The newest candidate: by the pass that deletes it, the others were looked at too.
    await call(ana, 'room:join', { room: 'unused' });
    await call(ana, 'room:leave', { room: 'unused' });
    const names = async () => (await call(ana, 'room:list', {})).rooms.map((r) => r.name);
    await expect.poll(names, { timeout: 10_000 }).toEqual(['occupied', 'talked', 'topical']);
    // A deleted room is simply new again, owned by whoever makes it: its old owner is not.
    const again = await call(bo, 'room:join', { room: 'unused' });
    expect(again.room).toMatchObject({ name: 'unused', lastSeq: 0, role: 'owner' });
    const members = await call(bo, 'member:list', { room: 'unused' });
    expect(members.members.map((m) => [m.name, m.role])).toEqual([['Bo', 'owner']]);
  });

  it('never deletes a room someone meant to keep: private, read-only, managed or with a ban', async () => {
    await t.close();
    t = await startServer({ ROOM_IDLE_TTL_SECONDS: '1' });
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:create', { room: 'private', visibility: 'private' });
    await call(ana, 'room:create', { room: 'read-only', readOnly: true });
    await call(ana, 'room:create', { room: 'managed' });
    await call(ana, 'member:add', { room: 'managed', userId: 'bo' });
    await call(ana, 'member:remove', { room: 'managed', userId: 'bo' });
    await call(ana, 'room:create', { room: 'banned' });
    await call(ana, 'member:remove', { room: 'banned', userId: 'mal', banSeconds: 3600 });
    // The newest candidate: by the pass that deletes it, the others were looked at too.
    await call(ana, 'room:create', { room: 'unused' });
    const names = async () => (await call(ana, 'room:list', {})).rooms.map((r) => r.name);
    await expect
      .poll(names, { timeout: 10_000 })
      .toEqual(['banned', 'managed', 'private', 'read-only']);
    // The private room is still Ana's: a stranger cannot make it anew.
    const stranger = await t.connect('acme', await t.token('Mal', { sub: 'mal' }));
    expect(await request(stranger, 'room:join', { room: 'private' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', reason: 'private_room' },
    });
    expect(await request(stranger, 'room:join', { room: 'banned' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', reason: 'banned' },
    });
  });

  it('lists at most 100 members in the join answer, the joiner among them, and counts them all', async () => {
    const members = await Promise.all(
      Array.from({ length: 105 }, async (_, i) =>
        t.connect('acme', await t.token(`M${i}`, { sub: `m${i}` })),
      ),
    );
    for (const member of members) await call(member, 'room:join', { room: 'big' });
    const late = await t.connect('acme', await t.token('Late', { sub: 'late' }));
    const joined = await call(late, 'room:join', { room: 'big' });
    expect(joined.room.memberCount).toBe(106);
    expect(joined.members).toHaveLength(100);
    expect(joined.members.map((m) => m.id)).toContain('late');
    expect(new Set(joined.members.map((m) => m.id)).size).toBe(100);
  });

  it('joining twice is idempotent: no second presence event, the same answer', async () => {
    const watcher = await t.connect('acme', await t.token('W'));
    await call(watcher, 'room:join', { room: 'general' });
    const heard = presenceLog(watcher);
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:join', { room: 'general' });
    const again = await call(ana, 'room:join', { room: 'general' });
    expect(again.room.memberCount).toBe(2);
    // A sentinel arrives after both joins: heard after anything they caused.
    const cy = await t.connect('acme', await t.token('Cy', { sub: 'cy' }));
    await call(cy, 'room:join', { room: 'general' });
    await expect.poll(() => heard.some((h) => h.id === 'cy')).toBe(true);
    expect(heard.filter((h) => h.id === 'ana')).toHaveLength(1);
  });

  it('answers joins of one room sent together as the first one ends: no access by riding on a join in flight', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:create', { room: 'plans', visibility: 'private' });
    await call(ana, 'room:join', { room: 'plans' });
    await call(ana, 'message:send', { room: 'plans', text: 'the secret', clientMsgId: 'secret-1' });
    const eve = await t.connect('acme', await t.token('Eve', { sub: 'eve' }));
    // Sent at once: the later ones arrive while the first is still entering the room.
    const answers = await Promise.all(
      [1, 2, 3].map(() => request(eve, 'room:join', { room: 'plans' })),
    );
    for (const answer of answers) {
      expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(JSON.stringify(answer)).not.toContain('the secret');
    }
    // And a public room's joins sent together all answer it, Bo in it once.
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    const joins = await Promise.all(
      [1, 2, 3].map(() => request(bo, 'room:join', { room: 'general' })),
    );
    for (const joined of joins) {
      expect(joined).toMatchObject({ ok: true, room: { name: 'general', memberCount: 1 } });
      expect(joined.ok && joined.members.map((member) => member.id)).toEqual(['bo']);
    }
  });

  it('refuses joining more rooms than allowed per connection', async () => {
    await t.close();
    t = await startServer({ MAX_ROOMS_PER_SOCKET: '2' });
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'a' });
    await call(ana, 'room:join', { room: 'b' });
    expect(await request(ana, 'room:join', { room: 'c' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await call(ana, 'room:join', { room: 'a' });
    await call(ana, 'room:leave', { room: 'a' });
    await call(ana, 'room:join', { room: 'c' });
  });
});

describe('a join whose reads fail part-way', () => {
  it('leaves the user out of the room (no ghost in its presence), and a retry joins', async () => {
    await t.close();
    const stores = createMemoryStores(testConfig().limits);
    // The history is read once the socket hears the room (JoinStore.enter); in memory each store
    // answers apart, the room and its history before the presence.
    const forJoin = stores.history.forJoin.bind(stores.history);
    let failNext = false;
    stores.history.forJoin = async (ref, query) => {
      if (!failNext) return forJoin(ref, query);
      failNext = false;
      throw new StoreUnavailableError('history unreachable');
    };
    t = await startServer({}, { stores });
    const general = { workspace: 'acme', room: 'general' };
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    await call(bo, 'room:join', { room: 'general' });
    const heard = presenceLog(bo);
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));

    failNext = true;
    expect(await request(ana, 'room:join', { room: 'general' })).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    // Nothing of the join stays: the room counts Bo alone, and nobody heard of Ana. (A sentinel:
    // Cy arrives after the failed join, and is heard after anything it caused.)
    expect(await stores.presence.count(general)).toBe(1);
    expect((await stores.presence.members(general)).map((member) => member.id)).toEqual(['bo']);
    const cy = await t.connect('acme', await t.token('Cy', { sub: 'cy' }));
    await call(cy, 'room:join', { room: 'general' });
    await expect.poll(() => heard.some((h) => h.id === 'cy')).toBe(true);
    expect(heard.filter((h) => h.id === 'ana')).toEqual([]);
    await call(cy, 'room:leave', { room: 'general' });

    await expect.poll(() => stores.presence.count(general)).toBe(1);
    const joined = await call(ana, 'room:join', { room: 'general' });
    expect(joined.room.memberCount).toBe(2);
    expect(joined.members.map((member) => member.id).sort()).toEqual(['ana', 'bo']);
    // And her going takes her out, as any member's.
    await disconnectHandled(t, ana);
    await settle(bo);
    expect(await stores.presence.count(general)).toBe(1);
  });
});

describe('recovery with since', () => {
  it('gives exactly the messages missed while disconnected, in seq order', async () => {
    const anaToken = await t.token('Ana', { sub: 'ana' });
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    let ana = await t.connect('acme', anaToken);
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    for (let i = 1; i <= 3; i++) {
      await call(bo, 'message:send', {
        room: 'general',
        text: `before ${i}`,
        clientMsgId: `b${i}`,
      });
    }
    await settle(ana);
    ana.disconnect();
    for (let i = 1; i <= 4; i++) {
      await call(bo, 'message:send', {
        room: 'general',
        text: `missed ${i}`,
        clientMsgId: `m${i}`,
      });
    }
    ana = await t.connect('acme', anaToken);
    const rejoined = await call(ana, 'room:join', { room: 'general', since: 3 });
    expect(rejoined.recovered).toBe(true);
    expect(messagesOf(rejoined.messages).map((m) => [m.seq, m.text])).toEqual([
      [4, 'missed 1'],
      [5, 'missed 2'],
      [6, 'missed 3'],
      [7, 'missed 4'],
    ]);
    expect(rejoined.hasMore).toBe(true);
    expect(rejoined.room.lastSeq).toBe(7);

    const upToDate = await call(ana, 'room:join', { room: 'general', since: 7 });
    expect(upToDate).toMatchObject({ recovered: true, messages: [] });
  });

  it('answers the latest page, not recovered, when since is unknown to the server', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'general' });
    await call(ana, 'message:send', { room: 'general', text: 'one', clientMsgId: 'a' });
    // A client from before a restart of an in-memory server remembers a later seq.
    const result = await call(ana, 'room:join', { room: 'general', since: 40 });
    expect(result.recovered).toBe(false);
    expect(messagesOf(result.messages).map((m) => m.text)).toEqual(['one']);
  });

  it('answers the latest page when the message at since is not the one the client has', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    const first = await call(ana, 'room:join', { room: 'general' });
    expect(first.messages).toEqual([]);
    const one = await call(ana, 'message:send', { room: 'general', text: 'one', clientMsgId: 'a' });
    await call(ana, 'message:send', { room: 'general', text: 'two', clientMsgId: 'b' });
    const matching = await call(ana, 'room:join', {
      room: 'general',
      since: 1,
      sinceId: one.message.id,
    });
    expect(matching.recovered).toBe(true);
    expect(messagesOf(matching.messages).map((m) => m.text)).toEqual(['two']);
    // A client whose seq 1 came from an earlier history (a restarted in-memory server).
    const stale = await call(ana, 'room:join', {
      room: 'general',
      since: 1,
      sinceId: 'from-before',
    });
    expect(stale.recovered).toBe(false);
    expect(messagesOf(stale.messages).map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('answers the latest page when more was missed than recovery returns', async () => {
    await t.close();
    t = await startServer({ HISTORY_RETENTION: '3' });
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'general' });
    for (let i = 1; i <= 6; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    // seq 2 and 3 fell out of retention: recovery from 1 cannot be complete.
    const result = await call(ana, 'room:join', { room: 'general', since: 1 });
    expect(result.recovered).toBe(false);
    expect(result.messages.map((m) => m.seq)).toEqual([4, 5, 6]);
  });
});

describe('room:create', () => {
  it('answers conflict for a name that is taken, and the room itself to its owner retrying', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    const created = await call(ana, 'room:create', { room: 'plans', visibility: 'private' });
    expect(created.room).toMatchObject({ name: 'plans', visibility: 'private', role: 'owner' });
    await call(ana, 'room:join', { room: 'plans' });
    await call(ana, 'message:send', { room: 'plans', text: 'x', clientMsgId: 'x' });
    // Its first answer lost, Ana creates it again: the room as it is now.
    const again = await call(ana, 'room:create', { room: 'plans', visibility: 'private' });
    expect(again.room).toMatchObject({ name: 'plans', role: 'owner', lastSeq: 1, memberCount: 1 });
    for (const [socket, visibility] of [
      [bo, 'private'],
      [ana, 'public'],
    ] as const) {
      expect(await request(socket, 'room:create', { room: 'plans', visibility })).toMatchObject({
        ok: false,
        error: { code: 'conflict' },
      });
    }
  });
});

describe('ROOM_CREATION=admins', () => {
  it('lets admins (and the server API) make rooms; others join existing ones only', async () => {
    const key = 'backend-key-0123456789abcdefghij';
    const admins = await startServer({ ROOM_CREATION: 'admins', PARLEY_API_KEYS: `b:${key}` });
    try {
      const ana = await admins.connect('acme', await admins.token('Ana', { admin: true }));
      const bo = await admins.connect('acme', await admins.token('Bo'));
      for (const [event, payload] of [
        ['room:create', { room: 'bo-made' }],
        ['room:join', { room: 'bo-made' }],
      ] as const) {
        expect(await request(bo, event, payload)).toMatchObject({
          ok: false,
          error: { code: 'forbidden', message: 'only admins create rooms in this workspace' },
        });
      }
      await call(ana, 'room:create', { room: 'town-hall' });
      const created = await fetch(`${admins.url}/api/v1/workspaces/acme/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ room: 'from-backend' }),
      });
      expect(created.status).toBe(201);
      for (const room of ['town-hall', 'from-backend']) {
        expect((await call(bo, 'room:join', { room })).room.role).toBeNull();
      }
      const names = (await call(bo, 'room:list', {})).rooms.map((r) => r.name);
      expect(names).not.toContain('bo-made');
    } finally {
      await admins.close();
    }
  });
});
