import { ClientEvent, ERROR_CODES, isWellFormed } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import fc from 'fast-check';
import { Manager } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  settle,
  startServer,
  type TestServer,
  untyped,
} from '../../test/helpers';
import { RawSocketIoClient } from '../../test/raw-socketio';
import { namespacesOf } from './engine-internals';

let t: TestServer;
afterEach(() => t.close());

/** Acknowledged emit of anything at all, as a hostile client would send it. */
function emitRaw(socket: { emit(...args: unknown[]): unknown }, ...args: unknown[]) {
  return new Promise<unknown>((resolve) =>
    socket.emit(...args, (answer: unknown) => resolve(answer)),
  );
}

describe('one connection, many namespaces', () => {
  it('shares one flood guard and one room limit across every namespace it opens', async () => {
    t = await startServer({
      RATE_EVENTS_PER_SECOND: '1',
      RATE_EVENTS_BURST: '10',
      MAX_ROOMS_PER_SOCKET: '4',
    });
    const token = await t.token('Ana');
    const manager = new Manager(t.url, { transports: ['websocket'], reconnection: false });
    // Fifteen namespaces: five refusals in a row stay below the burst that would close it.
    const sockets = Array.from({ length: 15 }, (_, i) =>
      manager.socket(`/chat/ws${i}`, { auth: { token } }),
    );
    try {
      await Promise.all(
        sockets.map((s) => new Promise((resolve) => s.once('connect', () => resolve(null)))),
      );
      const answers = (await Promise.all(
        sockets.map((s, i) => emitRaw(s, 'room:join', { room: `r${i}` })),
      )) as { ok: boolean; error?: { code: string } }[];
      // Ten events in the connection's burst, and at most four rooms among them.
      expect(answers.filter((a) => a.ok)).toHaveLength(4);
      const codes = answers.filter((a) => !a.ok).map((a) => a.error?.code);
      expect(codes.filter((c) => c === 'forbidden')).toHaveLength(6);
      expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(5);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });

  it('counts concurrent joins before they finish: they cannot overshoot the room limit', async () => {
    t = await startServer({ MAX_ROOMS_PER_SOCKET: '5' });
    const ana = await t.connect('acme', await t.token('Ana'));
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => request(ana, 'room:join', { room: `r${i}` })),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    expect(answers.filter((a) => !a.ok && a.error.code === 'forbidden')).toHaveLength(25);
    // Leaving gives a slot back.
    await call(ana, 'room:leave', { room: 'r0' });
    await call(ana, 'room:join', { room: 'another' });
  });
});

describe('a flooding connection', () => {
  it('is told to slow down, and closed with a reason when it keeps going', async () => {
    t = await startServer({ RATE_EVENTS_PER_SECOND: '1', RATE_EVENTS_BURST: '5' });
    const flooder = await t.connect('acme', await t.token('Flood'));
    const bystander = await t.connect('acme', await t.token('Calm'));
    const closing = nextEvent(flooder, 'connection:closing');
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await request(flooder, 'room:list', {}, 2000));
    expect(answers.slice(0, 5).every((a) => a.ok)).toBe(true);
    expect(answers.slice(5).every((a) => !a.ok && a.error.code === 'rate_limited')).toBe(true);
    // A whole burst's worth of refusals in a row: the next event closes the connection.
    flooder.emit('room:list', {}, () => {});
    expect(await closing).toMatchObject({ reason: 'flooding' });
    await expect.poll(() => flooder.connected).toBe(false);
    expect((await call(bystander, 'room:list', {})).ok).toBe(true);
  });

  it('a client that waits as told is never closed', async () => {
    t = await startServer({ RATE_EVENTS_PER_SECOND: '3', RATE_EVENTS_BURST: '3' });
    const polite = await t.connect('acme', await t.token('Polite'));
    for (let i = 0; i < 12; i++) {
      const answer = await request(polite, 'room:list', {});
      if (!answer.ok) {
        expect(answer.error.code).toBe('rate_limited');
        await new Promise((resolve) => setTimeout(resolve, answer.error.retryAfterMs ?? 50));
      }
    }
    expect(polite.connected).toBe(true);
  });
});

describe('typing', () => {
  it('has its own budget: a typist cannot fan out thousands of frames into a room', async () => {
    // One token a second: the count below holds unless the 300 events take a whole second.
    t = await startServer({ RATE_TYPING_PER_SECOND: '1', RATE_TYPING_BURST: '4' });
    const typist = await t.connect('acme', await t.token('Typist'));
    const reader = await t.connect('acme', await t.token('Reader'));
    await call(typist, 'room:join', { room: 'general' });
    await call(reader, 'room:join', { room: 'general' });
    const seen = collect(reader, 'typing:changed');
    for (let i = 0; i < 300; i++)
      typist.emit('typing:set', { room: 'general', typing: i % 2 === 0 });
    // Every typing:set was handled before this answer; every frame they caused reaches the
    // reader before its own round trip's answer.
    await settle(typist);
    await settle(reader);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThanOrEqual(4);
  });

  it('does not repeat typing: true to the room more often than receivers need it', async () => {
    t = await startServer();
    const typist = await t.connect('acme', await t.token('Typist'));
    const reader = await t.connect('acme', await t.token('Reader'));
    await call(typist, 'room:join', { room: 'general' });
    await call(reader, 'room:join', { room: 'general' });
    const seen = collect(reader, 'typing:changed');
    for (let i = 0; i < 8; i++) await call(typist, 'typing:set', { room: 'general', typing: true });
    await settle(reader);
    expect(seen).toHaveLength(1);
  });
});

describe('rooms from many fresh identities', () => {
  it('are created within the workspace budget and up to its limit, whoever asks', async () => {
    t = await startServer({
      RATE_ROOM_CREATES_PER_MINUTE: '2',
      RATE_ROOM_CREATES_BURST: '3',
      RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE: '10',
      RATE_WORKSPACE_ROOM_CREATES_BURST: '12',
      MAX_ROOMS_PER_WORKSPACE: '100',
    });
    const one = await t.connect('acme', await t.token('One'));
    const own = await Promise.all(
      Array.from({ length: 6 }, (_, i) => request(one, 'room:join', { room: `mine${i}` })),
    );
    expect(own.filter((a) => a.ok)).toHaveLength(3);
    expect(own.find((a) => !a.ok)).toMatchObject({
      error: { code: 'rate_limited', message: 'creating rooms too fast' },
    });
    const guests = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => t.connect('acme', await t.token(`G${i}`))),
    );
    const answers = await Promise.all(
      guests.map((g, i) => request(g, 'room:join', { room: `room${i}` })),
    );
    // Twelve in the workspace's burst, three of them taken by the first user.
    expect(answers.filter((a) => a.ok)).toHaveLength(9);
    // Joining an existing room costs no budget.
    expect((await request(guests[9] as never, 'room:join', { room: 'mine0' })).ok).toBe(true);
    expect((await call(one, 'room:list', {})).rooms).toHaveLength(12);
  });

  it('stop at the workspace limit with forbidden', async () => {
    t = await startServer({ MAX_ROOMS_PER_WORKSPACE: '3' });
    const ana = await t.connect('acme', await t.token('Ana'));
    for (const room of ['a', 'b', 'c']) await call(ana, 'room:join', { room });
    expect(await request(ana, 'room:join', { room: 'd' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    // Another workspace has its own.
    const elsewhere = await t.connect('other', await t.token('Bo'));
    await call(elsewhere, 'room:join', { room: 'd' });
  });

  it('cannot flood one room together: the room has a budget of its own', async () => {
    t = await startServer({ RATE_ROOM_MESSAGES_PER_SECOND: '1', RATE_ROOM_MESSAGES_BURST: '15' });
    const guests = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => t.connect('acme', await t.token(`G${i}`))),
    );
    for (const g of guests) await call(g, 'room:join', { room: 'general' });
    const sends = await Promise.all(
      guests.flatMap((g, i) =>
        Array.from({ length: 20 }, (_, j) =>
          request(g, 'message:send', { room: 'general', text: `${i}/${j}`, clientMsgId: `c${j}` }),
        ),
      ),
    );
    expect(sends.filter((s) => s.ok)).toHaveLength(15);
    expect(sends.find((s) => !s.ok)).toMatchObject({
      error: { code: 'rate_limited', message: expect.stringMatching(/room/) },
    });
  });
});

describe('a burst of handshakes to one namespace on one connection', () => {
  it('makes one socket, in the namespace the workspace broadcasts to', async () => {
    t = await startServer();
    const raw = await RawSocketIoClient.connect(t.url, 'acme', await t.token('Ana'), {
      handshakes: 5,
    });
    try {
      // Every refusal came before the socket that was made answers this.
      await raw.request('room:join', { room: 'general' });
      const refusals = raw.texts().filter((text) => text.startsWith('44/chat/acme,'));
      expect(refusals).toHaveLength(4);
      for (const text of refusals) expect(text).toContain('"code":"invalid_payload"');
      const workspace = namespacesOf(t.server.io).of('acme');
      expect(workspace?.sockets.size).toBe(1);
      // The refusals did not drop the namespace under it: it hears the room.
      const bo = await t.connect('acme', await t.token('Bo'));
      await call(bo, 'room:join', { room: 'general' });
      await call(bo, 'message:send', { room: 'general', text: 'heard?', clientMsgId: 'b1' });
      // On its connection, after the message's broadcast.
      await raw.request('room:list', {});
      expect(raw.events()).toContain('message:new');
    } finally {
      raw.close();
    }
  });
});

describe('whatever a client emits', () => {
  it('is answered with a typed Result and harms neither the node nor the room', async () => {
    t = await startServer();
    const hostile = await t.connect('acme', await t.token('Hostile'));
    const witnessId = 'witness';
    const witness = await t.connect('acme', await t.token('Witness', { sub: witnessId }));
    const removals = collect(witness, 'room:removed');
    await call(hostile, 'room:join', { room: 'general' });
    await call(witness, 'room:join', { room: 'general' });
    const stored = await call(witness, 'message:send', {
      room: 'general',
      text: 'kept',
      clientMsgId: 'w',
    });
    const eventName = fc.oneof(
      // Every client event there is: a new one is fuzzed the day it is added.
      fc.constantFrom(...Object.values(ClientEvent)),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.integer(),
      fc.double(),
    );
    const payload = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }),
      fc.record(
        {
          room: fc.oneof(fc.constant('general'), fc.string({ unit: 'binary', maxLength: 70 })),
          text: fc.string({ unit: 'binary', maxLength: 200 }),
          clientMsgId: fc.string({ unit: 'binary', maxLength: 70 }),
          since: fc.oneof(fc.integer(), fc.double(), fc.string()),
          limit: fc.oneof(fc.integer(), fc.string()),
          prefix: fc.string({ unit: 'binary', maxLength: 70 }),
          // Aimed at the witness's message and at the witness: no role lets the hostile
          // client edit, delete or remove them.
          seq: fc.oneof(fc.constant(stored.message.seq), fc.integer(), fc.double(), fc.string()),
          id: fc.oneof(fc.constant(stored.message.id), fc.string({ unit: 'binary' })),
          userId: fc.oneof(fc.constant(witnessId), fc.string({ unit: 'binary', maxLength: 70 })),
          role: fc.oneof(fc.constantFrom('owner', 'moderator', 'member'), fc.string()),
          banSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
          visibility: fc.oneof(fc.constantFrom('public', 'private'), fc.string()),
          readOnly: fc.oneof(fc.boolean(), fc.string()),
          topic: fc.oneof(fc.constant(null), fc.string({ unit: 'binary', maxLength: 300 })),
          name: fc.string({ unit: 'binary', maxLength: 100 }),
        },
        { requiredKeys: [] },
      ),
      fc.constant(JSON.parse(`${'['.repeat(3000)}1${']'.repeat(3000)}`)),
    );
    const socket = untyped(hostile);
    await fc.assert(
      fc.asyncProperty(eventName, fc.array(payload, { maxLength: 3 }), async (event, args) => {
        fc.pre(
          ![
            'connect',
            'disconnect',
            'disconnecting',
            'newListener',
            'removeListener',
            'connect_error',
          ].includes(String(event)),
        );
        const answer = (await emitRaw(socket, event, ...args)) as {
          ok: boolean;
          error?: { code: string };
        };
        expect(typeof answer.ok).toBe('boolean');
        if (!answer.ok) expect(ERROR_CODES).toContain(answer.error?.code);
      }),
      { numRuns: 150, seed: 20261201 },
    );
    // The witness's message is intact, and the node still serves.
    const history = await call(witness, 'message:history', { room: 'general' });
    const messages = messagesOf(history.messages);
    expect(messages.find((m) => m.id === stored.message.id)).toEqual(stored.message);
    for (const message of messages) expect(isWellFormed(message.text)).toBe(true);
    expect(removals).toEqual([]);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
