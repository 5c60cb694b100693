import type { ChatSocket } from '@parley/protocol/client';
import { request } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, collect, nextEvent, startServer, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/**
 * Every event × every kind of user, in a private room and a public one, on one node and on two
 * nodes over Redis: the exact answer of each (`ok`, `forbidden`, …) is in the table below.
 */

type Kind =
  | 'none'
  | 'member'
  | 'moderator'
  | 'owner'
  | 'admin'
  | 'banned'
  | 'claimInside'
  | 'claimOutside';
const KINDS: Kind[] = [
  'none',
  'member',
  'moderator',
  'owner',
  'admin',
  'banned',
  'claimInside',
  'claimOutside',
];

type Outcome = 'ok' | 'forbidden';
type Event =
  | 'join'
  | 'history'
  | 'send'
  | 'typing'
  | 'memberList'
  | 'update'
  | 'addMember'
  | 'removeMember'
  | 'deleteOthers'
  | 'listed';

/** What each kind may do in the private room `vault`; `listed`: whether room:list shows it. */
const PRIVATE: Record<Kind, Record<Event, Outcome | boolean>> = {
  none: row('forbidden', 'forbidden', false),
  member: row('ok', 'forbidden', true),
  moderator: row('ok', 'ok', true),
  owner: row('ok', 'ok', true),
  admin: row('ok', 'ok', true),
  banned: row('forbidden', 'forbidden', false),
  claimInside: row('ok', 'forbidden', true),
  claimOutside: row('forbidden', 'forbidden', false),
};

/** The same in the public room `hall`: anyone may be in it; only moderators manage it. */
const PUBLIC: Record<Kind, Record<Event, Outcome | boolean>> = {
  none: row('ok', 'forbidden', true),
  member: row('ok', 'forbidden', true),
  moderator: row('ok', 'ok', true),
  owner: row('ok', 'ok', true),
  admin: row('ok', 'ok', true),
  banned: row('forbidden', 'forbidden', true),
  claimInside: row('ok', 'forbidden', true),
  claimOutside: row('forbidden', 'forbidden', false),
};

function row(inside: Outcome, manage: Outcome, listed: boolean): Record<Event, Outcome | boolean> {
  return {
    join: inside,
    history: inside,
    send: inside,
    typing: inside,
    memberList: inside,
    update: manage,
    addMember: manage,
    removeMember: manage,
    deleteOthers: manage,
    listed,
  };
}

interface Deployment {
  nodes: TestServer[];
  close(): Promise<void>;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const deployments: Record<string, () => Promise<Deployment>> = {
  'one node': async () => {
    const t = await startServer();
    return { nodes: [t], close: () => t.close() };
  },
  'two nodes over Redis': async () => {
    const nodes = await startCluster(redis.url, 2);
    return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
  },
};

/** Why each refusal was given (`error.reason`), by room, kind and event. */
let reasons: Record<string, string | undefined> = {};
let asking = '';
const answerOf = (result: { ok: boolean; error?: { code: string; reason?: string } }) => {
  if (!result.ok) reasons[asking] = result.error?.reason;
  return result.ok ? 'ok' : (result.error?.code ?? 'ok');
};

describe.each(Object.keys(deployments))('who may do what (%s)', (deploymentName) => {
  let deployment: Deployment;
  afterEach(() => deployment?.close());
  beforeEach(() => {
    reasons = {};
  });

  it('answers every event for every kind of user exactly as the table says', async () => {
    deployment = await (deployments[deploymentName] as () => Promise<Deployment>)();
    const { nodes } = deployment;
    let next = 0;
    /** Users are spread over the nodes in turn. */
    const connect = async (name: string, options: Parameters<TestServer['token']>[1] = {}) => {
      const node = nodes[next++ % nodes.length] as TestServer;
      return node.connect('acme', await node.token(name, { sub: name.toLowerCase(), ...options }));
    };

    const owner = await connect('Owner');
    await call(owner, 'room:create', { room: 'vault', visibility: 'private' });
    await call(owner, 'room:create', { room: 'hall', visibility: 'public' });
    for (const room of ['vault', 'hall']) {
      await call(owner, 'room:join', { room });
      await call(owner, 'member:add', { room, userId: 'member', role: 'member' });
      await call(owner, 'member:add', { room, userId: 'moderator', role: 'moderator' });
      await call(owner, 'member:add', { room, userId: 'banned', role: 'member' });
      await call(owner, 'member:remove', { room, userId: 'banned', banSeconds: 3600 });
    }
    const sockets: Record<Kind, ChatSocket> = {
      none: await connect('None'),
      member: await connect('Member'),
      moderator: await connect('Moderator'),
      owner,
      admin: await connect('Admin', { admin: true }),
      banned: await connect('Banned'),
      claimInside: await connect('ClaimInside', { rooms: ['vault', 'hall'] }),
      claimOutside: await connect('ClaimOutside', { rooms: ['elsewhere-*'] }),
    };
    // A message of someone else's in each room, and a target for removals.
    const others: Record<string, { seq: number; id: string }> = {};
    for (const room of ['vault', 'hall']) {
      const sent = await call(owner, 'message:send', {
        room,
        text: 'hello',
        clientMsgId: `o-${room}`,
      });
      others[room] = { seq: sent.message.seq, id: sent.message.id };
    }

    const observed: Record<string, Record<string, string | boolean>> = {};
    for (const room of ['vault', 'hall'] as const) {
      for (const kind of KINDS) {
        const socket = sockets[kind];
        const target = others[room] as { seq: number; id: string };
        const at = (event: Event) => {
          asking = `${room} ${kind} ${event}`;
          return answerOf;
        };
        const results: Record<Event, string | boolean> = {
          join: at('join')(await request(socket, 'room:join', { room })),
          history: at('history')(await request(socket, 'message:history', { room })),
          send: at('send')(
            await request(socket, 'message:send', {
              room,
              text: `by ${kind}`,
              clientMsgId: `${kind}-${room}`,
            }),
          ),
          typing: at('typing')(await request(socket, 'typing:set', { room, typing: true })),
          memberList: at('memberList')(await request(socket, 'member:list', { room })),
          update: at('update')(await request(socket, 'room:update', { room, topic: `by ${kind}` })),
          addMember: at('addMember')(
            await request(socket, 'member:add', { room, userId: `guest-${kind}` }),
          ),
          removeMember: at('removeMember')(
            await request(socket, 'member:remove', { room, userId: `guest-${kind}` }),
          ),
          deleteOthers: at('deleteOthers')(
            await request(socket, 'message:delete', { room, seq: target.seq, id: target.id }),
          ),
          listed: (await call(socket, 'room:list', {})).rooms.some((r) => r.name === room),
        };
        observed[`${room} ${kind}`] = results;
        // One deletion per room is enough to prove it: put the message back for the next kind.
        if (results.deleteOthers === 'ok') {
          const again = await call(owner, 'message:send', {
            room,
            text: 'hello again',
            clientMsgId: `o-${room}-${kind}`,
          });
          others[room] = { seq: again.message.seq, id: again.message.id };
        }
        // The owner stays: it puts messages back for the next kind to delete.
        if (results.join === 'ok' && kind !== 'owner') await call(socket, 'room:leave', { room });
      }
    }
    const expected = Object.fromEntries(
      (['vault', 'hall'] as const).flatMap((room) =>
        KINDS.map((kind) => [`${room} ${kind}`, (room === 'vault' ? PRIVATE : PUBLIC)[kind]]),
      ),
    );
    expect(observed).toEqual(expected);

    // Every refusal says why, as a code a client can word: managing is judged by role; else a
    // ban or a token's rooms claim, a private room to anyone else outside it, rank inside.
    const refusedFor = (room: string, kind: Kind, event: string) =>
      ['update', 'addMember', 'removeMember'].includes(event) // judged by role alone
        ? 'role'
        : kind === 'banned'
          ? 'banned'
          : kind === 'claimOutside'
            ? 'token_rooms'
            : room === 'vault' && kind === 'none'
              ? 'private_room'
              : 'role';
    const expectedReasons = Object.fromEntries(
      Object.keys(reasons).map((key) => {
        const [room = '', kind, event = ''] = key.split(' ');
        return [key, refusedFor(room, kind as Kind, event)];
      }),
    );
    expect(Object.keys(reasons).length).toBeGreaterThan(50);
    expect(reasons).toEqual(expectedReasons);
  }, 60_000);

  it('tells a private room to nobody outside it: lobbies, typing, presence, history', async () => {
    deployment = await (deployments[deploymentName] as () => Promise<Deployment>)();
    const { nodes } = deployment;
    const [first, second] = [nodes[0] as TestServer, nodes.at(-1) as TestServer];
    const owner = await first.connect('acme', await first.token('Owner', { sub: 'owner' }));
    const outsider = await second.connect('acme', await second.token('Out', { sub: 'out' }));
    await call(outsider, 'room:list', {}); // a lobby: hears every public room's count
    // In the public room `hall` too, where the sentinels come; its own count for it first.
    const ownCount = nextEvent(outsider, 'room:updated', (u) => u.room === 'hall');
    await call(outsider, 'room:join', { room: 'hall' });
    await ownCount;
    const heard = {
      updated: collect(outsider, 'room:updated'),
      joined: collect(outsider, 'presence:joined'),
      typing: collect(outsider, 'typing:changed'),
      messages: collect(outsider, 'message:new'),
    };
    await call(owner, 'room:create', { room: 'vault', visibility: 'private', topic: 'plans' });
    await call(owner, 'room:join', { room: 'vault' });
    await call(owner, 'member:add', { room: 'vault', userId: 'friend' });
    const friend = await second.connect('acme', await second.token('Friend', { sub: 'friend' }));
    await call(friend, 'room:join', { room: 'vault' });
    await call(owner, 'typing:set', { room: 'vault', typing: true });
    await call(owner, 'message:send', { room: 'vault', text: 'secret', clientMsgId: 's' });
    await call(owner, 'room:update', { room: 'vault', topic: 'new plans' });
    // The same in the public room, which the outsider does hear, from the owner's node: its
    // count goes out after the vault's (same node: the same announcing pass or a later one),
    // the owner's arrival through the same adapter as the vault's typing and arrivals, and
    // its message after the vault's (stored entries come in the order they were published).
    const sentinels = [
      nextEvent(outsider, 'room:updated', (u) => u.room === 'hall' && u.memberCount === 2),
      nextEvent(outsider, 'presence:joined', (e) => e.room === 'hall'),
      nextEvent(outsider, 'message:new', (m) => m.room === 'hall'),
    ];
    await call(owner, 'room:join', { room: 'hall' });
    await call(owner, 'message:send', { room: 'hall', text: 'public', clientMsgId: 'p' });
    await Promise.all(sentinels);
    const aboutVault = ({ room }: { room: string }) => room === 'vault';
    expect(heard.updated.filter(aboutVault)).toEqual([]);
    expect([...heard.joined, ...heard.typing, ...heard.messages].filter(aboutVault)).toEqual([]);
    for (const answer of [
      await request(outsider, 'room:join', { room: 'vault' }),
      await request(outsider, 'message:history', { room: 'vault' }),
      await request(outsider, 'member:list', { room: 'vault' }),
    ]) {
      expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect((await call(outsider, 'room:list', {})).rooms.map((r) => r.name)).toEqual(['hall']);
    expect((await call(friend, 'room:list', {})).rooms.map((r) => r.name)).toEqual([
      'hall',
      'vault',
    ]);
  });
});

describe('a rooms claim', () => {
  it('confines every token, an admin’s too: no role and no entry outside it', async () => {
    const t = await startServer();
    try {
      const owner = await t.connect('acme', await t.token('Owner', { sub: 'owner' }));
      await call(owner, 'room:create', { room: 'vault', visibility: 'private' });
      await call(owner, 'member:add', { room: 'vault', userId: 'mo', role: 'moderator' });
      const confined = {
        admin: await t.connect('acme', await t.token('Ad', { admin: true, rooms: ['help-*'] })),
        moderator: await t.connect('acme', await t.token('Mo', { sub: 'mo', rooms: ['help-*'] })),
      };
      for (const socket of Object.values(confined)) {
        expect(await request(socket, 'room:join', { room: 'vault' })).toMatchObject({
          ok: false,
          error: { code: 'forbidden', reason: 'token_rooms' },
        });
        expect(await request(socket, 'member:add', { room: 'vault', userId: 'x' })).toMatchObject({
          ok: false,
          error: { code: 'forbidden', reason: 'role' },
        });
        expect(await request(socket, 'room:update', { room: 'vault', topic: 'x' })).toMatchObject({
          ok: false,
          error: { code: 'forbidden', reason: 'role' },
        });
      }
      // Inside the claim, the admin is owner.
      expect((await call(confined.admin, 'room:join', { room: 'help-1' })).room.role).toBe('owner');
    } finally {
      await t.close();
    }
  });
});

describe('managing a room one has no role in', () => {
  it('answers the same whether the room exists or not', async () => {
    const t = await startServer();
    try {
      const owner = await t.connect('acme', await t.token('Owner', { sub: 'owner' }));
      await call(owner, 'room:create', { room: 'vault', visibility: 'private' });
      const outsider = await t.connect('acme', await t.token('Out', { sub: 'out' }));
      const answers = [];
      for (const room of ['vault', 'no-such-room']) {
        answers.push(
          await request(outsider, 'member:add', { room, userId: 'x' }),
          await request(outsider, 'member:remove', { room, userId: 'x' }),
        );
      }
      const [addVault, removeVault, addNone, removeNone] = answers;
      expect(addVault).toEqual(addNone);
      expect(removeVault).toEqual(removeNone);
      expect(addVault).toMatchObject({ ok: false, error: { code: 'forbidden', reason: 'role' } });
    } finally {
      await t.close();
    }
  });
});
