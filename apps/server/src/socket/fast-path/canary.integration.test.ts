import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../../test/helpers';
import { RawSocketIoClient } from '../../../test/raw-socketio';
import { namespacesOf, queuedPackets, usableConnection } from '../engine-internals';

/**
 * The canary for the fast path, and for an upgrade of what it reads: the real server puts the
 * same bytes on the wire with it on and off, and on a real connection it batches.
 */
const servers: TestServer[] = [];
const clients: RawSocketIoClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

const OFF = { connections: 0, directFrames: 0, heldWrites: 0, batches: 0 };

async function start(fastPath: boolean): Promise<TestServer> {
  const server = await startServer({
    FAST_PATH: String(fastPath),
    // The session below sends megabytes quickly to a client that stopped reading.
    MAX_BUFFERED_BYTES: String(256 * 1024 * 1024),
    RATE_MESSAGES_PER_SECOND: '100000',
    RATE_MESSAGES_BURST: '100000',
    RATE_EVENTS_PER_SECOND: '100000',
    RATE_EVENTS_BURST: '100000',
  });
  servers.push(server);
  return server;
}

async function connect(t: TestServer, name: string): Promise<RawSocketIoClient> {
  const token = await t.token(name, { sub: name.toLowerCase() });
  const client = await RawSocketIoClient.connect(t.url, 'acme', token);
  clients.push(client);
  return client;
}

/** Resolves once `client` has received `count` frames of `event` in all. */
async function received(client: RawSocketIoClient, event: string, count = 1): Promise<void> {
  await expect
    .poll(() => client.events().filter((name) => name === event).length, { timeout: 5000 })
    .toBeGreaterThanOrEqual(count);
}

async function send(client: RawSocketIoClient, text: string, clientMsgId: string) {
  const [answer] = await client.request('message:send', { room: 'general', text, clientMsgId });
  expect(answer).toMatchObject({ ok: true });
  return answer as { message: { id: string; seq: number } };
}

/** Packets waiting in engine.io's queue for one user's connection on the server. */
function queuedFor(t: TestServer, userId: string): number {
  const namespace = namespacesOf(t.server.io).of('acme');
  const socket = [...(namespace?.sockets.values() ?? [])].find((s) => s.data.user.id === userId);
  return socket && usableConnection(socket.conn) ? queuedPackets(socket.conn) : 0;
}

const PARROTS = '🦜'.repeat(4000); // the longest text allowed: 16 KB of UTF-8

/**
 * One scripted session of two users, each step awaited where the other sees it, so no frame
 * can change places between runs: joins, messages (plain, unicode and emoji, the longest
 * allowed, answers over 64 KiB), typing, edits, a deletion, a burst in one TCP write, a reader
 * that stops reading (so its frames take the fast path, then engine.io's queue, mixed with its
 * own answers), presence. `backlog`: how many messages to send while it does not read; unset,
 * enough to fill the TCP buffers and queue 100 more.
 */
async function session(t: TestServer, backlog?: number) {
  const ada = await connect(t, 'Ada');
  await ada.request('room:join', { room: 'general' });
  await received(ada, 'room:updated');
  for (let i = 0; i < 5; i++) await send(ada, PARROTS, `parrot-${i}`);

  const bo = await connect(t, 'Bo');
  await bo.request('room:join', { room: 'general' }); // 80 KB of history
  await received(ada, 'presence:joined');
  await received(ada, 'room:updated', 2);
  await received(bo, 'room:updated');

  await bo.request('typing:set', { room: 'general', typing: true });
  await received(ada, 'typing:changed');
  const hello = await send(bo, 'hello', 'bo-1');
  await received(ada, 'message:new'); // and the end of typing
  await received(ada, 'typing:changed', 2);
  await send(
    bo,
    'Grüße 👋🏽 — 안녕하세요, مرحبا, שלום, 𝄞 \t\n\u2028 "quoted" \\ </script>',
    'bo-2',
  );
  await received(ada, 'message:new', 2);
  await send(ada, `${'ü'.repeat(1999)}😀${'x'.repeat(2000)}`, 'ada-1');
  await received(bo, 'message:new');

  const { seq, id } = hello.message;
  await bo.request('message:edit', { room: 'general', seq, id, text: 'hello, edited ✏️' });
  await received(ada, 'message:updated');
  await bo.request('message:delete', { room: 'general', seq, id });
  await received(ada, 'message:deleted');

  // Ten sends in one TCP write: handled, broadcast and answered in one event-loop turn.
  const burst = Array.from({ length: 10 }, (_, i): [string, unknown] => [
    'message:send',
    { room: 'general', text: `burst ${i}`, clientMsgId: `burst-${i}` },
  ]);
  await ada.burst(burst);
  await received(bo, 'message:new', 11);

  // Bo stops reading. Frames for Bo fill the TCP buffers, then wait in engine.io's queue, with
  // Bo's own answer among them, and one more broadcast behind it.
  bo.pause();
  let sent = 0;
  let queuedSince: number | undefined;
  while (backlog === undefined ? sent < (queuedSince ?? sent) + 100 : sent < backlog) {
    await send(ada, PARROTS, `backlog-${sent++}`);
    if (queuedSince === undefined && queuedFor(t, 'bo') > 0) queuedSince = sent;
    if (sent > 5000) throw new Error('the TCP buffers never filled');
  }
  const queued = queuedFor(t, 'bo');
  expect(queued).toBeGreaterThan(0);
  const history = bo.request('message:history', { room: 'general' }); // 800 KB
  await expect.poll(() => queuedFor(t, 'bo')).toBe(queued + 1); // answered, behind the rest
  await send(ada, 'after the backlog', 'ada-2');
  bo.resume();
  await history;
  await received(bo, 'message:new', 11 + sent + 1);

  await ada.request('message:history', { room: 'general' });
  await ada.request('room:list', {});
  await bo.request('room:leave', { room: 'general' });
  await received(ada, 'presence:left');
  await received(ada, 'room:updated', 3);
  ada.close();
  bo.close();
  return { ada: ada.frames, bo: bo.frames, backlog: sent };
}

/**
 * What differs from run to run, replaced by placeholders of the same length (so the frames'
 * headers stay true): engine.io and Socket.IO session ids, message ids, timestamps.
 */
function normalised(frames: Buffer[]): string[] {
  return frames.map((frame) => {
    const text = frame.toString('latin1');
    const stable = text
      .replace(/"sid":"[^"]{20}"/g, `"sid":"${'s'.repeat(20)}"`)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>'.padEnd(36))
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>'.padEnd(24));
    expect(stable.length).toBe(text.length);
    return stable;
  });
}

/** Two users in a room, every frame of their joining arrived. */
async function senderAndReader(t: TestServer) {
  const sender = await connect(t, 'Ada');
  await sender.request('room:join', { room: 'general' });
  await received(sender, 'room:updated');
  const reader = await connect(t, 'Bo');
  await reader.request('room:join', { room: 'general' });
  await received(reader, 'room:updated');
  await received(sender, 'room:updated', 2);
  return { sender, reader };
}

/** Twenty sends in one TCP write: handled, and broadcast to the reader, in one turn. */
const twenty = Array.from({ length: 20 }, (_, i): [string, unknown] => [
  'message:send',
  { room: 'general', text: `m${i}`, clientMsgId: `m${i}` },
]);

describe('the fast path, in the real server', () => {
  it('puts the same bytes on the wire as Socket.IO does without it', async () => {
    const on = await start(true);
    const withFastPath = await session(on);
    const off = await start(false);
    const without = await session(off, withFastPath.backlog);

    expect(withFastPath.bo.length).toBeGreaterThan(withFastPath.backlog);
    expect(normalised(withFastPath.ada)).toEqual(normalised(without.ada));
    expect(normalised(withFastPath.bo)).toEqual(normalised(without.bo));
    // Not vacuous: one run took the fast path, the other never did.
    expect(on.server.counts().fastPath.directFrames).toBeGreaterThan(100);
    expect(off.server.counts().fastPath).toEqual(OFF);
  }, 30_000);

  it('writes a burst of broadcasts to a websocket in one batch; off, it counts nothing', async () => {
    const on = await start(true);
    const { sender, reader } = await senderAndReader(on);
    const before = on.server.counts().fastPath;
    const reads = reader.reads;
    await sender.burst(twenty);
    await received(reader, 'message:new', 20);
    const after = on.server.counts().fastPath;
    expect(after.directFrames - before.directFrames).toBe(20);
    // The turn's first frame goes out at once, the other nineteen wait and leave together (the
    // sender's answers are batched too).
    expect(after.heldWrites - before.heldWrites).toBeGreaterThanOrEqual(19);
    expect(after.batches - before.batches).toBeGreaterThanOrEqual(1);
    expect(reader.reads - reads).toBeLessThanOrEqual(2);

    const off = await start(false);
    const plain = await senderAndReader(off);
    await plain.sender.burst(twenty);
    await received(plain.reader, 'message:new', 20);
    expect(off.server.counts().fastPath).toEqual(OFF);
  });
});
