import {
  type AckOf,
  ERROR_CODES,
  HandshakeAuth,
  isWellFormed,
  type PayloadInputOf,
  type ServerPayloadOf,
} from '@parley/protocol';
import { type ChatSocket, request } from '@parley/protocol/client';
import fc from 'fast-check';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  disconnectHandled,
  messagesOf,
  nextEvent,
  sleepUntil,
  startServer,
  type TestServer,
} from '../../test/helpers';

let t: TestServer;
const opened: ChatSocket[] = [];
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.disconnect();
  await t?.close();
});

/** A connection whose handshake carries `join` as given (anything a client could put there). */
function connectJoining(token: string, join: unknown): ChatSocket {
  const socket = io(`${t.url}/chat/acme`, {
    auth: { token, join },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  }) as ChatSocket;
  opened.push(socket);
  return socket;
}

type Answered = ServerPayloadOf<'rooms:joined'>;

/**
 * Every room's answer from the `rooms:joined` events `socket` hears, once each room of `rooms`
 * was answered, in the order of `rooms` (they are sent as each join ends). A room answered twice
 * fails.
 */
function answersFor(socket: ChatSocket, rooms: string[], timeoutMs = 8000): Promise<Answered> {
  return new Promise((resolve, reject) => {
    const heard = new Map<string, Answered['answers'][number]>();
    const timer = setTimeout(
      () => reject(new Error(`answered ${[...heard.keys()]} of ${rooms} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('rooms:joined', ({ answers }) => {
      for (const answer of answers) {
        if (heard.has(answer.room)) reject(new Error(`${answer.room} answered twice`));
        heard.set(answer.room, answer);
      }
      if (rooms.every((room) => heard.has(room))) {
        clearTimeout(timer);
        resolve({ answers: rooms.map((room) => heard.get(room) as Answered['answers'][number]) });
      }
    });
  });
}

/** Connects with `join` and resolves with every room's answer, in the order asked. */
async function joinOnConnect(
  token: string,
  join: PayloadInputOf<'room:join'>[],
): Promise<[ChatSocket, Answered]> {
  const socket = connectJoining(token, join);
  const answered = answersFor(
    socket,
    join.map(({ room }) => room),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return [socket, await answered];
}

function okAnswer(answered: Answered, room: string) {
  const answer = answered.answers.find((entry) => entry.room === room);
  if (!answer?.result.ok) throw new Error(`${room}: ${JSON.stringify(answer?.result)}`);
  return answer.result;
}

describe('joining rooms in the handshake', () => {
  it('answers every room once, as room:join would, and the socket is in them', async () => {
    t = await startServer();
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:join', { room: 'general' });
    for (let i = 1; i <= 3; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    const [bo, answered] = await joinOnConnect(await t.token('Bo', { sub: 'bo' }), [
      { room: 'general' },
      { room: 'fresh' },
    ]);
    const general = okAnswer(answered, 'general');
    expect(general.room).toMatchObject({ name: 'general', memberCount: 2, lastSeq: 3 });
    expect(messagesOf(general.messages).map((m) => m.text)).toEqual(['m1', 'm2', 'm3']);
    expect(general.members.map((m) => m.id).sort()).toEqual(['ana', 'bo']);
    expect(general.recovered).toBe(false);
    // A room made by the join, as room:join makes it: its first member owns it.
    expect(okAnswer(answered, 'fresh').room).toMatchObject({ memberCount: 1, role: 'owner' });

    // Joined for real: Bo hears the room, and the room heard Bo arrive.
    const heard = nextEvent(bo, 'message:new', (m) => m.text === 'after');
    await call(ana, 'message:send', { room: 'general', text: 'after', clientMsgId: 'c4' });
    expect((await heard).seq).toBe(4);
    const present = await call(ana, 'presence:list', { room: 'general' });
    expect(present.members.map((m) => m.id).sort()).toEqual(['ana', 'bo']);
    // And may do what a member does there without joining again.
    await call(bo, 'message:send', { room: 'fresh', text: 'mine', clientMsgId: 'b1' });
  });

  it('catches up from since, as a re-join after a reconnection does', async () => {
    t = await startServer();
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:join', { room: 'general' });
    const sent = [];
    for (let i = 1; i <= 5; i++) {
      sent.push(
        await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` }),
      );
    }
    const atTwo = sent[1]?.message;
    const [, answered] = await joinOnConnect(await t.token('Bo'), [
      { room: 'general', since: 2, sinceId: atTwo?.id },
    ]);
    const general = okAnswer(answered, 'general');
    expect(general.recovered).toBe(true);
    expect(general.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    // An id at `since` that is not the stored one: the latest page instead, not a recovery.
    const [, reset] = await joinOnConnect(await t.token('Cy'), [
      { room: 'general', since: 2, sinceId: 'not-the-one' },
    ]);
    expect(okAnswer(reset, 'general')).toMatchObject({ recovered: false });
    expect(okAnswer(reset, 'general').messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses one room without refusing the others or the connection', async () => {
    t = await startServer({ MAX_ROOMS_PER_SOCKET: '3' });
    const token = await t.token('Ana', { rooms: ['general', 'random', 'third'] });
    const [ana, answered] = await joinOnConnect(token, [
      { room: 'general' },
      { room: 'secret' },
      { room: 'random' },
      { room: 'third' },
    ]);
    // The token does not open `secret`; the connection may be in three rooms, and the joins start
    // at once, in order, as concurrent room:join events do: `secret` held a slot until refused.
    expect(
      answered.answers.map(({ room, result }) => [
        room,
        result.ok ? 'ok' : `${result.error.code}/${result.error.reason}`,
      ]),
    ).toEqual([
      ['general', 'ok'],
      ['secret', 'forbidden/token_rooms'],
      ['random', 'ok'],
      ['third', 'forbidden/limit'],
    ]);
    expect(ana.connected).toBe(true);
    // The slot `secret` held is free again.
    await call(ana, 'room:join', { room: 'third' });
  });

  it('takes the flood guard’s tokens as events do, answering rate_limited past them', async () => {
    t = await startServer({ RATE_EVENTS_PER_SECOND: '1', RATE_EVENTS_BURST: '3' });
    const rooms = ['a', 'b', 'c', 'd', 'e'].map((room) => ({ room }));
    const [ana, answered] = await joinOnConnect(await t.token('Ana'), rooms);
    // Read after the refusals were made (they came with the answers): a wait counted from here
    // is never shorter than the one the server asked for.
    const answeredAt = Date.now();
    const refused = answered.answers.filter(({ result }) => !result.ok);
    expect(answered.answers.filter(({ result }) => result.ok)).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const { result } of refused) {
      expect(result).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(result.ok || result.error.retryAfterMs).toBeGreaterThan(0);
    }
    // Still connected, and a join asked again once a token is due is answered.
    const retryAfterMs = Math.max(
      ...refused.map(({ result }) => (result.ok ? 0 : (result.error.retryAfterMs ?? 0))),
    );
    await sleepUntil(answeredAt + retryAfterMs);
    expect(ana.connected).toBe(true);
    const again = await request(ana, 'room:join', { room: refused[0]?.room ?? '' });
    expect(again.ok).toBe(true);
  });

  it('refuses a join list that does not match the schema, joining nothing', async () => {
    t = await startServer();
    const witness = await t.connect('acme', await t.token('Witness'));
    await call(witness, 'room:join', { room: 'general' });
    const bad: unknown[] = [
      'general',
      { room: 'general' },
      [{ room: 'General!' }],
      [{ room: 'general', since: -1 }],
      [{ room: 'general' }, 7],
      // One room twice: each would be answered whole, for one packet's worth of asking.
      [{ room: 'general' }, { room: 'general', since: 1 }],
      Array.from({ length: 101 }, (_, i) => ({ room: `r${i}` })),
    ];
    for (const join of bad) {
      const socket = connectJoining(await t.token('Bo', { sub: 'bo' }), join);
      const error = await new Promise<Error & { data?: { code?: string } }>((resolve, reject) => {
        socket.once('connect', () => reject(new Error(`connected with ${JSON.stringify(join)}`)));
        socket.once('connect_error', resolve);
      });
      expect(error.data?.code).toBe('invalid_payload');
      expect(error.message).toMatch(/auth\.join/);
    }
    // Nobody joined `general` but the witness (asked after every refusal).
    const present = await call(witness, 'presence:list', { room: 'general' });
    expect(present.members.map((m) => m.name)).toEqual(['Witness']);
  });

  it('sends no rooms:joined to a handshake without join, nor with an empty one', async () => {
    t = await startServer();
    for (const join of [undefined, []]) {
      const socket = connectJoining(await t.token('Ana'), join);
      const answers = collect(socket, 'rooms:joined');
      // The round trip comes after anything the connection itself would have sent.
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      await call(socket, 'room:list', {});
      expect(answers).toEqual([]);
    }
  });

  it('leaves no one behind when the connection closes while its joins run', async () => {
    t = await startServer();
    const witness = await t.connect('acme', await t.token('Witness'));
    await call(witness, 'room:join', { room: 'general' });
    for (let i = 0; i < 5; i++) {
      const socket = connectJoining(await t.token(`Gone${i}`), [{ room: 'general' }]);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      await disconnectHandled(t, socket);
    }
    // Every departure is done once the server has handled each disconnect and its cleanup.
    const present = await call(witness, 'presence:list', { room: 'general' });
    expect(present.members.map((m) => m.name)).toEqual(['Witness']);
  });
});

describe('whatever a handshake carries as join', () => {
  it('is refused with invalid_payload or answered room by room, from many fresh users', async () => {
    t = await startServer({ RATE_CONNECTIONS_PER_SECOND: '1000', RATE_CONNECTIONS_BURST: '1000' });
    const witness = await t.connect('acme', await t.token('Witness'));
    await call(witness, 'room:join', { room: 'general' });
    const kept = await call(witness, 'message:send', {
      room: 'general',
      text: 'kept',
      clientMsgId: 'w',
    });
    const entry = fc.oneof(
      fc.record(
        {
          room: fc.oneof(
            fc.constantFrom('general', 'random', 'a-b_c'),
            fc.string({ unit: 'binary', maxLength: 70 }),
          ),
          since: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string()),
          sinceId: fc.oneof(fc.constant(kept.message.id), fc.string({ unit: 'binary' })),
          membersHash: fc.oneof(
            fc.stringMatching(/^[0-9a-f]{32}$/),
            fc.string({ unit: 'binary', maxLength: 40 }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: ['room'] },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const roomName = fc.oneof(
      fc.constantFrom('general', 'random'),
      fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/),
    );
    const validEntry = fc.record(
      {
        room: roomName,
        since: fc.nat({ max: 5 }),
        sinceId: fc.constant(kept.message.id),
        membersHash: fc.stringMatching(/^[0-9a-f]{32}$/),
      },
      { requiredKeys: ['room'] },
    );
    const join = fc.oneof(
      fc.array(entry, { maxLength: 6 }),
      fc.uniqueArray(validEntry, { selector: (e) => e.room, minLength: 1, maxLength: 8 }),
      // Up to the limit and past it.
      fc.uniqueArray(validEntry, { selector: (e) => e.room, minLength: 95, maxLength: 105 }),
      fc.jsonValue({ maxDepth: 4 }),
      fc.constant(JSON.parse(`${'['.repeat(2000)}1${']'.repeat(2000)}`)),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    let users = 0;
    await fc.assert(
      fc.asyncProperty(join, async (asked) => {
        const token = await t.token(`F${++users}`);
        const valid = HandshakeAuth.shape.join.safeParse(asked);
        const socket = connectJoining(token, asked);
        const rooms = valid.success ? (valid.data ?? []).map((payload) => payload.room) : [];
        const answered = answersFor(socket, rooms);
        answered.catch(() => {}); // awaited below only when the connection is accepted
        const outcome = await new Promise<string | undefined>((resolve) => {
          socket.once('connect', () => resolve(undefined));
          socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
            resolve(error.data?.code),
          );
        });
        if (!valid.success) {
          expect(outcome).toBe('invalid_payload');
          return;
        }
        expect(outcome).toBeUndefined();
        if (rooms.length > 0) {
          for (const { result } of (await answered).answers) {
            const typed = result as AckOf<'room:join'>;
            if (!typed.ok) expect(ERROR_CODES).toContain(typed.error.code);
          }
        }
        await disconnectHandled(t, socket);
      }),
      { numRuns: 60, seed: 20261203 },
    );
    // The witness's message is intact, the room holds only the witness, the node still serves.
    const history = await call(witness, 'message:history', { room: 'general' });
    const messages = messagesOf(history.messages);
    expect(messages.find((m) => m.id === kept.message.id)).toEqual(kept.message);
    for (const message of messages) expect(isWellFormed(message.text)).toBe(true);
    const present = await call(witness, 'presence:list', { room: 'general' });
    expect(present.members.map((m) => m.name)).toEqual(['Witness']);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
