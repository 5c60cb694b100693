import { DisplayName, type Member, membersHash } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type PresenceHeard,
  presenceLog,
  startServer,
  type TestServer,
} from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const byId = (members: readonly Member[]) => [...members].sort((a, b) => (a.id < b.id ? -1 : 1));

/** Connects `names` as users with those ids (`sub`), each its own socket. */
async function connectAll<Id extends string>(
  t: TestServer,
  users: Record<Id, string>,
): Promise<Record<Id, ChatSocket>> {
  const sockets = {} as Record<Id, ChatSocket>;
  for (const [id, name] of Object.entries(users) as [Id, string][]) {
    sockets[id] = await t.connect('acme', await t.token(name, { sub: id }));
  }
  return sockets;
}

/** Resolves once `log` heard every arrival and departure of `changes` in `room`. */
async function heardAll(log: PresenceHeard[], room: string, changes: PresenceHeard[]) {
  await expect
    .poll(() =>
      changes.every((change) =>
        log.some((h) => h.room === room && h.id === change.id && h.joined === change.joined),
      ),
    )
    .toBe(true);
}

for (const store of ['memory', 'redis'] as const) {
  describe(`a re-join with the hash of the list the client holds (${store})`, () => {
    let t: TestServer;
    const start = (env: Record<string, string> = {}) =>
      startServer({ ...(store === 'redis' && { REDIS_URL: redis.url }), ...env });
    let rooms = 0;
    /** A room no other test of this file uses (they share one Redis). */
    const freshRoom = () => `r${Date.now().toString(36)}-${++rooms}`;

    beforeAll(async () => {
      t = await start();
    });
    afterAll(() => t.close());

    it('leaves the list out when nobody came or went, and sends it when someone did', async () => {
      const room = freshRoom();
      const { ada, bo, cy } = await connectAll(t, { ada: 'Ada', bo: 'Bo', cy: 'Cy' });
      await call(ada, 'room:join', { room });
      const held = await call(bo, 'room:join', { room });
      expect(held.membersUnchanged).toBeUndefined();
      const hash = membersHash(held.members);

      // Asked again on the same connection: the list is the one Bo holds.
      const again = await call(bo, 'room:join', { room, membersHash: hash });
      expect(again).toMatchObject({ members: [], membersUnchanged: true });
      expect(again.room.memberCount).toBe(2);

      // A hash of some other list (or an old one) gets the whole list.
      const other = await call(bo, 'room:join', {
        room,
        membersHash: membersHash([{ id: 'ada', name: 'Ada' }]),
      });
      expect(other.membersUnchanged).toBeUndefined();
      expect(byId(other.members)).toEqual(byId(held.members));

      // Cy arrives: Bo's hash no longer matches, and the list says who is there now.
      const log = presenceLog(ada);
      await call(cy, 'room:join', { room });
      await heardAll(log, room, [{ room, id: 'cy', joined: true }]);
      const changed = await call(bo, 'room:join', { room, membersHash: hash });
      expect(changed.membersUnchanged).toBeUndefined();
      expect(changed.members.map((m) => m.id).sort()).toEqual(['ada', 'bo', 'cy']);
      for (const socket of [ada, bo, cy]) socket.disconnect();
    });

    it('compares only whole lists: a room in count presence always gets its sample', async () => {
      const small = await start({ PRESENCE_MEMBERS_MAX: '2' });
      try {
        const room = freshRoom();
        const sockets = await connectAll(small, { a1: 'A1', a2: 'A2', a3: 'A3' });
        await call(sockets.a1, 'room:join', { room });
        await call(sockets.a2, 'room:join', { room });
        const sample = await call(sockets.a3, 'room:join', { room });
        expect(sample.room.presence).toBe('count');
        const again = await call(sockets.a3, 'room:join', {
          room,
          membersHash: membersHash(sample.members),
        });
        expect(again.membersUnchanged).toBeUndefined();
        expect(again.members.length).toBeGreaterThan(0);
      } finally {
        await small.close();
      }
    });

    it('works in the handshake join as in room:join', async () => {
      const room = freshRoom();
      const { ada, bo } = await connectAll(t, { ada: 'Ada', bo: 'Bo' });
      await call(ada, 'room:join', { room });
      const held = await call(bo, 'room:join', { room });
      const { createChatClient } = await import('@parley/protocol/client');
      const again = createChatClient({
        url: t.url,
        workspace: 'acme',
        token: await t.token('Bo', { sub: 'bo' }),
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        join: () => [{ room, membersHash: membersHash(held.members) }],
      });
      try {
        const [answer] = await new Promise<{ room: string; result: unknown }[]>((resolve) =>
          again.once('rooms:joined', ({ answers }) => resolve(answers)),
        );
        expect(answer).toMatchObject({
          room,
          result: { ok: true, members: [], membersUnchanged: true },
        });
      } finally {
        again.disconnect();
        for (const socket of [ada, bo]) socket.disconnect();
      }
    });

    // Any names, anyone arriving or leaving while the holder was away: the list is left out
    // exactly when the one held is the room's, and otherwise is the room's.
    it('answers exactly what changed, for any names and any comings and goings', async () => {
      const name = fc
        .string({ unit: 'binary', minLength: 1, maxLength: 24 })
        .map((text) => (DisplayName.safeParse(text).success ? text : `n ${text.length}`));
      const others: ('p1' | 'p2' | 'p3')[] = ['p1', 'p2', 'p3'];
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(name, name, name, name),
          fc.subarray(others),
          fc.subarray(others),
          async (names, before, after) => {
            const room = freshRoom();
            const users = { ada: names[0], p1: names[1], p2: names[2], p3: names[3], obs: 'Obs' };
            const sockets = await connectAll(t, users);
            const log = presenceLog(sockets.obs);
            await call(sockets.obs, 'room:join', { room });
            for (const id of before) await call(sockets[id], 'room:join', { room });
            const held = await call(sockets.ada, 'room:join', { room });
            const hash = membersHash(held.members);
            await call(sockets.ada, 'room:leave', { room });
            // While Ada is away: those of `before` not in `after` leave, the rest of `after` come.
            const changes: PresenceHeard[] = [{ room, id: 'ada', joined: false }];
            for (const id of others) {
              if (before.includes(id) && !after.includes(id)) {
                await call(sockets[id], 'room:leave', { room });
                changes.push({ room, id, joined: false });
              } else if (!before.includes(id) && after.includes(id)) {
                await call(sockets[id], 'room:join', { room });
                changes.push({ room, id, joined: true });
              }
            }
            await heardAll(log, room, changes);
            const back = await call(sockets.ada, 'room:join', { room, membersHash: hash });
            const present = ['ada', 'obs', ...after].sort();
            const same = [...before].sort().join() === [...after].sort().join();
            if (same) {
              expect(back).toMatchObject({ members: [], membersUnchanged: true });
            } else {
              expect(back.membersUnchanged).toBeUndefined();
              expect(back.members.map((m) => m.id).sort()).toEqual(present);
              expect(membersHash(back.members)).not.toBe(hash);
            }
            for (const socket of Object.values(sockets)) socket.disconnect();
          },
        ),
        { numRuns: 10 },
      );
    });
  });
}
