import { type Member, membersHash } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuestSession, createParleyClient, type ParleyClient } from '../src/index';
import { joined, person, room, sees, textsIn, WORKSPACE, waitFor } from './people';
import { type NetworkProxy, startProxy } from './proxy';
import { mintToken, type ParleyServer, startServer } from './server';

let server: ParleyServer;
const clients: ParleyClient[] = [];
const proxies: NetworkProxy[] = [];

beforeAll(async () => {
  server = await startServer();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.stop();
});

async function someone(name: string, options: Parameters<typeof person>[2] = {}) {
  const client = await person(server.url, name, options);
  clients.push(client);
  return client;
}

async function proxy() {
  const made = await startProxy(server.url);
  proxies.push(made);
  return made;
}

const seqsIn = (client: ParleyClient, name: string) =>
  (room(client, name)?.timeline.messages ?? []).map((m) => m.seq);

/** Sends and waits until the server has stored it (the sender sees it sent). */
async function say(client: ParleyClient, name: string, text: string) {
  client.send(name, text);
  await sees(client, name, text);
}

describe('two people in a room', () => {
  it('exchange messages, see each other present, and agree on the log', async () => {
    const ana = await someone('Ana');
    const bo = await someone('Bo');
    ana.join('chat-side');
    await joined(ana, 'chat-side');
    const side = room(ana, 'chat-side');
    ana.open('chat');
    await joined(ana, 'chat');
    bo.join('chat');
    await joined(bo, 'chat');
    await waitFor(ana, 'Bo present', (s) =>
      (s.rooms.chat?.members ?? []).some((m) => m.name === 'Bo'),
    );

    const key = ana.send('chat', 'hello from Ana');
    expect(room(ana, 'chat')?.timeline.messages.at(-1)).toMatchObject({
      key,
      delivery: 'pending',
      text: 'hello from Ana',
    });
    await sees(bo, 'chat', 'hello from Ana');
    await sees(ana, 'chat', 'hello from Ana');
    await say(bo, 'chat', '안녕 Ana 👋');
    await sees(ana, 'chat', '안녕 Ana 👋');

    expect(textsIn(ana, 'chat')).toEqual(['hello from Ana', '안녕 Ana 👋']);
    expect(textsIn(bo, 'chat')).toEqual(textsIn(ana, 'chat'));
    expect(seqsIn(ana, 'chat')).toEqual([1, 2]);
    expect(seqsIn(bo, 'chat')).toEqual([1, 2]);
    // Another room's object did not change: a view of it skips all this.
    expect(room(ana, 'chat-side')).toBe(side);
    // The sender's own message kept its key from pending to sent.
    expect(room(ana, 'chat')?.timeline.messages[0]?.key).toBe(key);
    // Ana has the room in view; Bo joined it without: Ana's message is unread there.
    expect(room(ana, 'chat')?.unread).toBe(0);
    expect(room(bo, 'chat')?.unread).toBe(1);
    bo.open('chat');
    expect(room(bo, 'chat')?.unread).toBe(0);
  });

  it('edit and delete: the other side follows, the sender fills the change seq', async () => {
    const ana = await someone('Ana');
    const bo = await someone('Bo');
    ana.open('edits');
    bo.open('edits');
    await joined(ana, 'edits');
    await joined(bo, 'edits');
    await say(ana, 'edits', 'tpyo');
    const key = room(ana, 'edits')?.timeline.messages[0]?.key ?? '';
    expect(await ana.edit('edits', key, 'typo')).toBeNull();
    await waitFor(bo, 'the edit', () => textsIn(bo, 'edits')[0] === 'typo');
    // Bo may not edit Ana's message: the refusal is data, for the app to word.
    expect(await bo.edit('edits', key, 'mine now')).toMatchObject({
      code: 'forbidden',
      reason: 'not_author',
    });
    expect(await ana.delete('edits', key)).toBeNull();
    await waitFor(
      bo,
      'the tombstone',
      (s) => s.rooms.edits?.timeline.messages[0]?.deleted === true,
    );
    await say(bo, 'edits', 'after');
    await sees(ana, 'edits', 'after');
    // Message, edit, deletion, message: no gap on either side, nothing fetched twice.
    expect(seqsIn(ana, 'edits')).toEqual([1, 2, 3, 4]);
    expect(seqsIn(bo, 'edits')).toEqual([1, 2, 3, 4]);
    expect(room(ana, 'edits')?.timeline.gaps).toEqual([]);
  });

  it('typing reaches the other person, and stops', async () => {
    const ana = await someone('Ana');
    const bo = await someone('Bo');
    ana.open('typing');
    bo.open('typing');
    await joined(ana, 'typing');
    await joined(bo, 'typing');
    ana.setTyping('typing', true);
    await waitFor(bo, 'Ana typing', (s) =>
      (s.rooms.typing?.typing ?? []).some((t) => t.user.name === 'Ana'),
    );
    ana.setTyping('typing', false);
    await waitFor(bo, 'Ana stopped', (s) => s.rooms.typing?.typing.length === 0);
    // Sending ends typing too.
    ana.setTyping('typing', true);
    await waitFor(bo, 'Ana typing again', (s) => s.rooms.typing?.typing.length === 1);
    ana.send('typing', 'done');
    await sees(bo, 'typing', 'done');
    expect(room(bo, 'typing')?.typing).toEqual([]);
  });
});

/** The `join` each handshake of `client` carried (undefined: none), in order. */
function handshakesOf(client: ParleyClient): unknown[] {
  const seen: unknown[] = [];
  // socket.io-client calls `auth` before each handshake: what it sends is what it hands on.
  const socket = client.socket as unknown as { auth: (send: (data: object) => void) => void };
  const auth = socket.auth;
  socket.auth = (send) =>
    auth((data) => {
      seen.push((data as { join?: unknown }).join);
      send(data);
    });
  return seen;
}

describe('losing the connection', () => {
  it.each([
    ['in the handshake', true],
    ['with room:join once connected', false],
  ])(
    'misses messages, then catches up with since (joining %s): no gap, no duplicate',
    async (_, joinOnConnect) => {
      // A room of its own per case: the server is shared by the file's tests.
      const name = joinOnConnect ? 'recover' : 'recover-by-event';
      const network = await proxy();
      const ana = await someone('Ana', { via: network.url, joinOnConnect, autoConnect: false });
      const handshakes = handshakesOf(ana);
      // Held before the first connection: its handshake asks for the room already.
      ana.join(name);
      ana.connect();
      const joins: unknown[] = [];
      ana.socket.onAnyOutgoing((event, payload) => {
        if (event === 'room:join') joins.push(payload);
      });
      const bo = await someone('Bo');
      bo.open(name);
      await joined(ana, name);
      await joined(bo, name);
      await say(bo, name, 'one');
      await say(bo, name, 'two');
      await sees(ana, name, 'two');

      await waitFor(ana, 'Bo among those present', (s) =>
        Boolean(s.rooms[name]?.members.some((m) => m.name === 'Bo')),
      );
      const heldList = room(ana, name)?.members;
      const answers: unknown[] = [];
      ana.socket.on('rooms:joined', ({ answers: some }) => answers.push(...some));
      network.cut();
      await waitFor(ana, 'the connection lost', (s) => s.rooms[name]?.joined === false);
      for (const text of ['three', 'four', 'five', 'six']) await say(bo, name, text);

      network.restore();
      await sees(ana, name, 'six');
      expect(textsIn(ana, name)).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
      expect(seqsIn(ana, name)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(room(ana, name)?.timeline.gaps).toEqual([]);
      // The re-join asked for what came after what Ana had, naming it, and said which member
      // list it holds: in the handshake, or with room:join once connected.
      const asked = [
        { room: name },
        {
          room: name,
          since: 2,
          sinceId: expect.any(String),
          membersHash: membersHash(heldList ?? []),
        },
      ];
      expect(handshakes).toEqual(
        joinOnConnect ? asked.map((join) => [join]) : [undefined, undefined],
      );
      expect(joins).toEqual(joinOnConnect ? [] : asked);
      // Nobody came or went meanwhile: the list was not sent again, and Ana's is kept.
      expect(heldList?.map((m) => m.name).sort()).toEqual(['Ana', 'Bo']);
      expect(room(ana, name)?.members).toEqual(heldList);
      expect(room(ana, name)?.membersStatus).toBe('live');
      if (joinOnConnect) {
        expect(answers).toMatchObject([
          { room: name, result: { ok: true, members: [], membersUnchanged: true } },
        ]);
      }
      // Missed while away and not in view: unread.
      expect(room(ana, name)?.unread).toBe(6);
      expect(ana.getSnapshot().connection).toMatchObject({ status: 'connected', connections: 2 });
    },
  );

  it("joins with room:join when the handshake's join is not answered (a server before it)", async () => {
    const ana = await someone('Ana', { ackTimeoutMs: 300, autoConnect: false });
    const handshakes = handshakesOf(ana);
    const joins: unknown[] = [];
    ana.socket.onAnyOutgoing((event, payload) => {
      if (event === 'room:join') joins.push(payload);
    });
    // Deaf to the answer, as to a server that ignores `auth.join`.
    ana.socket.off('rooms:joined');
    ana.join('older');
    ana.connect();
    await joined(ana, 'older');
    // Asked in the handshake (the default), then with room:join once the ack timeout passed.
    expect(handshakes).toEqual([[{ room: 'older' }]]);
    expect(joins).toEqual([{ room: 'older' }]);
    expect(room(ana, 'older')?.error).toBeNull();
  });

  it('keeps a message written offline pending, and delivers it once after reconnecting', async () => {
    const network = await proxy();
    const ana = await someone('Ana', { via: network.url });
    const bo = await someone('Bo');
    ana.open('offline');
    bo.open('offline');
    await joined(ana, 'offline');
    await joined(bo, 'offline');

    network.cut();
    await waitFor(ana, 'offline', (s) => s.connection.status !== 'connected');
    const key = ana.send('offline', 'written offline');
    // A round trip of Bo's comes after: Ana's message is still waiting.
    await say(bo, 'offline', 'meanwhile');
    expect(room(ana, 'offline')?.timeline.messages.find((m) => m.key === key)?.delivery).toBe(
      'pending',
    );

    network.restore();
    await sees(ana, 'offline', 'written offline');
    await sees(bo, 'offline', 'written offline');
    await say(bo, 'offline', 'after');
    await sees(ana, 'offline', 'after');
    expect(textsIn(bo, 'offline')).toEqual(['meanwhile', 'written offline', 'after']);
    expect(textsIn(ana, 'offline')).toEqual(['meanwhile', 'written offline', 'after']);
    const late = await someone('Cy');
    late.join('offline');
    await sees(late, 'offline', 'after');
    expect(textsIn(late, 'offline')).toEqual(['meanwhile', 'written offline', 'after']);
  });

  it('resends with the same clientMsgId when the answer is lost: stored once', async () => {
    const network = await proxy();
    const ana = await someone('Ana', { via: network.url, ackTimeoutMs: 400 });
    const bo = await someone('Bo');
    const sent: { clientMsgId: string }[] = [];
    let resent: () => void = () => {};
    const resend = new Promise<void>((resolve) => {
      resent = resolve;
    });
    ana.socket.onAnyOutgoing((event, payload) => {
      if (event !== 'message:send') return;
      sent.push(payload);
      if (sent.length === 2) resent();
    });
    ana.open('lost');
    bo.open('lost');
    await joined(ana, 'lost');
    await joined(bo, 'lost');

    // Requests still reach the server; nothing comes back. The message is stored, the answer lost.
    network.blackhole();
    const key = ana.send('lost', 'did it arrive?');
    await sees(bo, 'lost', 'did it arrive?');
    await resend;
    expect(room(ana, 'lost')?.timeline.messages.at(-1)).toMatchObject({ key, delivery: 'pending' });

    network.cut();
    await waitFor(ana, 'offline', (s) => s.connection.status !== 'connected');
    network.restore();
    await sees(ana, 'lost', 'did it arrive?');
    await say(bo, 'lost', 'after');
    await sees(ana, 'lost', 'after');

    expect(new Set(sent.map((payload) => payload.clientMsgId)).size).toBe(1);
    expect(textsIn(bo, 'lost')).toEqual(['did it arrive?', 'after']);
    expect(textsIn(ana, 'lost')).toEqual(['did it arrive?', 'after']);
    expect(room(ana, 'lost')?.timeline.messages[0]).toMatchObject({ key, seq: 1 });
  });

  it("gives a server that does not answer longer at each attempt, then Socket.IO's timeout again", async () => {
    const network = await proxy();
    const ana = await someone('Ana', {
      via: network.url,
      socketOptions: { reconnectionDelay: 20, reconnectionDelayMax: 40, timeout: 200 },
      connectTimeoutMaxMs: 700,
    });
    ana.join('patience');
    await joined(ana, 'patience');
    expect(ana.socket.io.timeout()).toBe(200);

    // Each attempt timed where its timer runs, in this process: from Socket.IO's
    // `reconnect_attempt` (its connect timer starts right after) to its `reconnect_error`. The
    // proxy's own clock would start late by however long this busy process takes to accept.
    const attempts: { timeout: number; startedAt: number; took?: number; error?: string }[] = [];
    ana.socket.io.on('reconnect_attempt', () => {
      attempts.push({ timeout: Number(ana.socket.io.timeout()), startedAt: performance.now() });
    });
    ana.socket.io.on('reconnect_error', (error) => {
      const attempt = attempts.at(-1);
      if (!attempt || attempt.took !== undefined) return;
      attempt.took = performance.now() - attempt.startedAt;
      attempt.error = error.message;
    });

    // Connections are taken and requests reach the server, but no answer comes back.
    network.cut();
    network.blackhole();
    await waitFor(ana, 'four attempts timed out', (s) => s.connection.timedOut >= 4);
    // The attempts reached the network and were held open there until the client gave up.
    expect(await network.ended('blackhole', 4)).toHaveLength(4);
    const timedOut = attempts.filter((attempt) => attempt.error === 'timeout').slice(0, 4);
    // 200 ms, then twice as long, up to the cap; and each attempt waited at least that long (a
    // timer may fire a millisecond early; a slow machine only adds).
    expect(timedOut.map((attempt) => attempt.timeout)).toEqual([200, 400, 700, 700]);
    for (const [i, attempt] of timedOut.entries()) {
      expect(attempt.took, `attempt ${i + 1} held (ms)`).toBeGreaterThanOrEqual(
        attempt.timeout - 2,
      );
    }
    expect(ana.socket.io.timeout()).toBe(700);
    expect(ana.getSnapshot().connection.status).toBe('reconnecting');

    network.restore();
    await waitFor(ana, 'connected', (s) => s.connection.status === 'connected');
    await joined(ana, 'patience');
    expect(ana.getSnapshot().connection.timedOut).toBe(0);
    expect(ana.socket.io.timeout()).toBe(200);
  });

  it("reconnects at once on the browser's online event, not at the next retry", async () => {
    const network = await proxy();
    const target = new EventTarget();
    const scope = globalThis as { addEventListener?: unknown; removeEventListener?: unknown };
    scope.addEventListener = target.addEventListener.bind(target);
    scope.removeEventListener = target.removeEventListener.bind(target);
    try {
      const ana = await someone('Ana', {
        via: network.url,
        // A retry would come 20 s or more later: past the test's time.
        socketOptions: { reconnectionDelay: 40_000, reconnectionDelayMax: 40_000 },
      });
      ana.join('online');
      await joined(ana, 'online');
      network.cut();
      await waitFor(ana, 'reconnecting', (s) => s.connection.status === 'reconnecting');
      target.dispatchEvent(new Event('offline'));
      expect(ana.getSnapshot().connection.status).toBe('offline');
      network.restore();
      target.dispatchEvent(new Event('online'));
      await joined(ana, 'online');
      expect(ana.getSnapshot().connection.status).toBe('connected');
      ana.dispose();
    } finally {
      delete scope.addEventListener;
      delete scope.removeEventListener;
    }
  });
});

describe('the room list', () => {
  it('shows rooms with live online counts', async () => {
    const ana = await someone('Ana');
    const bo = await someone('Bo');
    const lobby = await someone('Lobby');
    ana.join('lobby-a');
    await joined(ana, 'lobby-a');
    lobby.searchRooms('lobby-');
    lobby.watchRoomList();
    const count = (name: string) =>
      lobby.getSnapshot().roomDirectory.shown?.rooms.find((r) => r.name === name)?.memberCount;
    await waitFor(lobby, 'lobby-a with Ana', () => count('lobby-a') === 1);
    expect(lobby.getSnapshot().roomDirectory.query).toBe('lobby-');

    bo.join('lobby-a');
    await waitFor(lobby, 'lobby-a with two', () => count('lobby-a') === 2);
    bo.join('lobby-b');
    await waitFor(lobby, 'lobby-b appearing', () => count('lobby-b') === 1);
    await ana.leave('lobby-a');
    await waitFor(lobby, 'lobby-a with one', () => count('lobby-a') === 1);
    expect(lobby.getSnapshot().roomDirectory.shown?.rooms.map((r) => r.name)).toEqual([
      'lobby-a',
      'lobby-b',
    ]);
  });
});

describe('tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  /** A session whose first token is `first`; renewing gets a guest token from the server. */
  function sessionStartingWith(first: string, user: Member) {
    let token = first;
    let me = user;
    let renewals = 0;
    return {
      session: {
        token: () => token,
        me: () => me,
        async renew() {
          renewals++;
          const guest = await createGuestSession({ url: server.url, name: user.name });
          token = await guest.token();
          me = guest.me();
        },
      },
      renewals: () => renewals,
    };
  }

  it('renews a token the server refuses, then connects', async () => {
    const user = { id: 'dee', name: 'Dee' };
    const expired = mintToken({ sub: user.id, name: user.name, exp: now() - 60 });
    const { session, renewals } = sessionStartingWith(expired, user);
    const client = createParleyClient({ url: server.url, workspace: WORKSPACE, session });
    clients.push(client);
    client.join('renewed');
    await joined(client, 'renewed');
    expect(renewals()).toBe(1);
    expect(client.getSnapshot().me.id).toMatch(/^guest_/);
    expect(client.getSnapshot().connection).toMatchObject({ status: 'connected', refused: null });
  });

  it('renews when the token expires while connected, and joins again', async () => {
    const user = { id: 'eve', name: 'Eve' };
    const short = mintToken({ sub: user.id, name: user.name, exp: now() + 2 });
    const { session, renewals } = sessionStartingWith(short, user);
    const client = createParleyClient({
      url: server.url,
      workspace: WORKSPACE,
      session,
      transports: ['websocket'],
    });
    clients.push(client);
    client.join('expiring');
    await joined(client, 'expiring');
    expect(client.getSnapshot().me.id).toBe('eve');
    await waitFor(
      client,
      'the server closing',
      (s) => s.connection.closedBecause === 'token_expired',
    );
    await waitFor(client, 'connected again', (s) => s.connection.connections === 2);
    await joined(client, 'expiring');
    expect(renewals()).toBe(1);
  });

  it('goes offline, refused, when the token does not open the workspace', async () => {
    const token = mintToken({ sub: 'fay', name: 'Fay', ws: ['elsewhere'], exp: now() + 600 });
    const client = createParleyClient({
      url: server.url,
      workspace: WORKSPACE,
      session: { token: () => token, me: () => ({ id: 'fay', name: 'Fay' }) },
    });
    clients.push(client);
    const snapshot = await waitFor(client, 'refused', (s) => s.connection.refused !== null);
    expect(snapshot.connection).toMatchObject({
      status: 'offline',
      refused: 'forbidden',
      error: { code: 'forbidden' },
    });
  });

  it('goes offline, refused, when the token is refused and cannot be renewed', async () => {
    const client = createParleyClient({
      url: server.url,
      workspace: WORKSPACE,
      session: { token: () => 'not-a-token', me: () => ({ id: 'gus', name: 'Gus' }) },
    });
    clients.push(client);
    const snapshot = await waitFor(client, 'refused', (s) => s.connection.refused !== null);
    expect(snapshot.connection).toMatchObject({ status: 'offline', refused: 'unauthorized' });
    // Refused, the client tries nothing more until the app calls `connect()`.
    expect(client.socket.active).toBe(false);
  });
});
