import { request } from '@parley/protocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  openClient,
  refusal,
  settle,
  startServer,
  type TestServer,
  untyped,
} from '../test/helpers';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.close());

describe('workspace isolation', () => {
  it('no message, presence, typing or room count crosses workspaces', async () => {
    const inA = await t.connect('a', await t.token('Ana'));
    const inB = await t.connect('b', await t.token('Bo'));
    // Bo's own count for b/general comes once the coalescing interval is over: in first.
    const ownCount = nextEvent(inB, 'room:updated');
    await call(inB, 'room:join', { room: 'general' });
    await ownCount;
    const seen = [
      ...[
        'message:new',
        'presence:joined',
        'presence:left',
        'presence:changed',
        'typing:changed',
        'room:updated',
      ].map((event) => collect(inB, event as 'message:new')),
    ];
    // Same room name in workspace a: separate room, separate history, separate presence.
    const joined = await call(inA, 'room:join', { room: 'general' });
    expect(joined.members).toHaveLength(1);
    inA.emit('typing:set', { room: 'general', typing: true });
    await call(inA, 'message:send', { room: 'general', text: 'only for a', clientMsgId: 'x' });
    await call(inA, 'room:leave', { room: 'general' });
    // The sentinel: Cy joins b/general. Bo hears her arrival after anything of Ana's (answered
    // already), and b/general's new count after a/general's (announced in the same pass, or one
    // before).
    const cyArrived = nextEvent(inB, 'presence:joined');
    const cyCounted = nextEvent(inB, 'room:updated', (u) => u.memberCount === 2);
    await call(await t.connect('b', await t.token('Cy', { sub: 'cy' })), 'room:join', {
      room: 'general',
    });
    await Promise.all([cyArrived, cyCounted]);
    expect(seen.flat()).toEqual([
      { room: 'general', member: { id: 'cy', name: 'Cy' } },
      {
        room: 'general',
        topic: null,
        memberCount: 2,
        visibility: 'public',
        readOnly: false,
        presence: 'members',
      },
    ]);
    expect((await call(inB, 'message:history', { room: 'general' })).messages).toEqual([]);
    expect((await call(inB, 'room:list', {})).rooms.map((r) => r.memberCount)).toEqual([2]);
  });

  it('a token for workspace a cannot enter b', async () => {
    const token = await t.token('Ana', { workspaces: ['a'] });
    const socket = openClient(t.url, 'b', token);
    expect((await refusal(socket)).data?.code).toBe('forbidden');
    socket.close();
  });
});

/** Wrong payloads for every event; each must answer invalid_payload. */
const malformed: Record<string, unknown[]> = {
  'room:join': [
    undefined,
    null,
    42,
    'general',
    [],
    {},
    { room: '' },
    { room: 'General' },
    { room: '-lead' },
    { room: 'a'.repeat(65) },
    { room: 'has space' },
    { room: 'général' },
    { room: 7 },
    { room: 'ok', since: -1 },
    { room: 'ok', since: 1.5 },
    { room: 'ok', since: '3' },
  ],
  'room:leave': [undefined, null, 'general', {}, { room: 'UPPER' }, { room: ['a'] }],
  'room:list': [undefined, null, 5, 'list', []],
  'message:send': [
    undefined,
    {},
    { room: 'general' },
    { room: 'general', text: 'hi' },
    { room: 'general', clientMsgId: 'c' },
    { room: 'general', text: '', clientMsgId: 'c' },
    { room: 'general', text: ' \n\t ', clientMsgId: 'c' },
    { room: 'general', text: 'x'.repeat(4001), clientMsgId: 'c' },
    { room: 'general', text: '😀'.repeat(4001), clientMsgId: 'c' },
    { room: 'general', text: 'bell\u0007', clientMsgId: 'c' },
    { room: 'general', text: 42, clientMsgId: 'c' },
    { room: 'general', text: { html: '<b>' }, clientMsgId: 'c' },
    { room: 'general', text: 'hi', clientMsgId: '' },
    { room: 'general', text: 'hi', clientMsgId: 'has space' },
    { room: 'general', text: 'hi', clientMsgId: 'x'.repeat(65) },
    { room: 'general', text: 'hi', clientMsgId: 12 },
  ],
  'message:history': [
    undefined,
    {},
    { room: 'general', limit: 0 },
    { room: 'general', limit: 101 },
    { room: 'general', limit: 2.5 },
    { room: 'general', before: 0 },
    { room: 'general', before: -3 },
    { room: 'general', before: 'x' },
  ],
  'typing:set': [
    undefined,
    {},
    { room: 'general' },
    { room: 'general', typing: 'yes' },
    { room: 'general', typing: 1 },
  ],
};

describe('malformed payloads', () => {
  for (const [event, payloads] of Object.entries(malformed)) {
    it(`${event}: every malformed payload answers invalid_payload and stores nothing`, async () => {
      const ana = await t.connect('acme', await t.token('Ana'));
      const bo = await t.connect('acme', await t.token('Bo'));
      await call(ana, 'room:join', { room: 'general' });
      await call(bo, 'room:join', { room: 'general' });
      const beforeAtBo = nextEvent(bo, 'message:new');
      await call(ana, 'message:send', { room: 'general', text: 'before', clientMsgId: 'before' });
      await beforeAtBo;
      const seenByBo = collect(bo, 'message:new');
      for (const payload of payloads) {
        const result = await untyped(ana).timeout(3000).emitWithAck(event, payload);
        expect(result, `${event} ${JSON.stringify(payload)}`).toMatchObject({
          ok: false,
          error: { code: 'invalid_payload', message: expect.any(String) },
        });
      }
      // The node still serves, and stored history is untouched. The next message is the
      // sentinel: Bo gets a room's messages in seq order, so anything stored meanwhile would
      // have reached him before it.
      const afterAtBo = nextEvent(bo, 'message:new', (m) => m.text === 'after');
      const after = await call(ana, 'message:send', {
        room: 'general',
        text: 'after',
        clientMsgId: 'after',
      });
      expect(after.message.seq).toBe(2);
      await afterAtBo;
      expect(seenByBo.map((m) => m.text)).toEqual(['after']);
      const history = await call(bo, 'message:history', { room: 'general' });
      expect(messagesOf(history.messages).map((m) => m.text)).toEqual(['before', 'after']);
    });
  }

  it('names the field and the rule in the error message', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'general' });
    const tooLong = await request(ana, 'message:send', {
      room: 'general',
      text: 'x'.repeat(4001),
      clientMsgId: 'c',
    });
    expect(tooLong).toMatchObject({
      ok: false,
      error: { message: 'text: text must be at most 4000 characters' },
    });
    const notObject = await untyped(ana).timeout(3000).emitWithAck('room:join', 'general');
    expect(notObject).toMatchObject({ ok: false, error: { message: 'payload must be an object' } });
  });

  it('accepts text exactly at the limit, counting emoji and Hangul as one character each', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'general' });
    const text = '한😀'.repeat(2000);
    const sent = await call(ana, 'message:send', { room: 'general', text, clientMsgId: 'edge' });
    expect(sent.message.text).toBe(text);
  });

  it('survives events without an ack, with extra arguments, and unknown events', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    const bo = await t.connect('acme', await t.token('Bo'));
    await call(bo, 'room:join', { room: 'general' });
    const raw = untyped(ana);
    raw.emit('room:join', { room: 'general' }); // valid, no ack: still joins
    raw.emit('message:send', null); // invalid, no ack
    raw.emit('message:history');
    raw.emit('room:list', {}, 'extra', 3);
    raw.emit('no:such:event', { x: 1 });
    const unknown = await raw.timeout(3000).emitWithAck('no:such:event', { x: 1 });
    expect(unknown).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'unknown event "no:such:event"' },
    });
    const extra = await raw.timeout(3000).emitWithAck('room:leave', { room: 'general' }, 'extra');
    expect(extra).toMatchObject({
      ok: false,
      error: { code: 'invalid_payload', message: expect.stringContaining('exactly one') },
    });
    await settle(ana);
    const sent = await call(ana, 'message:send', {
      room: 'general',
      text: 'still here',
      clientMsgId: 'z',
    });
    expect(sent.message.seq).toBe(1);
  });

  it('ignores events that arrive with the packet closing their connection (no ghost member)', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    const bo = await t.connect('acme', await t.token('Bo'));
    await call(bo, 'room:join', { room: 'general' });
    // The join and an invalid engine.io packet leave in the same turn, so the server decodes
    // both from one read: the connection closes with the join already decoded.
    const closed = new Promise<string>((resolve) => ana.once('disconnect', resolve));
    untyped(ana).emit('room:join', { room: 'general' });
    const transport = ana.io.engine.transport as unknown as { ws: { send(data: string): void } };
    transport.ws.send('9');
    await closed;
    // The join was decoded, and would have run, before the server closed the connection; on
    // the in-memory stores it awaits nothing but them, so it would have ended before the server
    // reads Bo's next packet.
    await settle(bo);
    const again = await call(bo, 'room:join', { room: 'general' });
    expect(again.members.map((member) => member.name)).toEqual(['Bo']);
  });

  it('closes a connection that sends a packet over the size cap, and keeps serving others', async () => {
    await t.close();
    t = await startServer({ MAX_PACKET_BYTES: '2048' });
    const ana = await t.connect('acme', await t.token('Ana'));
    const bo = await t.connect('acme', await t.token('Bo'));
    await call(bo, 'room:join', { room: 'general' });
    const closed = new Promise<string>((resolve) => ana.once('disconnect', resolve));
    untyped(ana).emit('room:join', { room: 'x'.repeat(4096) });
    expect(await closed).toBe('transport close');
    await call(bo, 'message:send', { room: 'general', text: 'fine', clientMsgId: 'f' });
  });
});

describe('rate limiting', () => {
  it('limits messages per user per room across their connections, with retryAfterMs', async () => {
    await t.close();
    // One token a second: the five sends below are refused as counted unless they take a
    // whole second (the slowest rate there is, so the window is as wide as it gets).
    t = await startServer({ RATE_MESSAGES_PER_SECOND: '1', RATE_MESSAGES_BURST: '3' });
    const token = await t.token('Ana', { sub: 'ana' });
    const tab1 = await t.connect('acme', token);
    const tab2 = await t.connect('acme', token);
    const other = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    for (const s of [tab1, tab2, other]) await call(s, 'room:join', { room: 'general' });
    await call(tab1, 'room:join', { room: 'random' });

    const results = [];
    for (let i = 0; i < 5; i++) {
      const tab = i % 2 ? tab2 : tab1;
      results.push(
        await request(tab, 'message:send', {
          room: 'general',
          text: `m${i}`,
          clientMsgId: `c${i}`,
        }),
      );
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    const limited = results[3];
    expect(limited).toMatchObject({
      ok: false,
      error: { code: 'rate_limited', message: 'sending too fast' },
    });
    const retryAfterMs = limited && !limited.ok ? (limited.error.retryAfterMs ?? 0) : 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);

    // A resend of a stored message (its ack was lost, say) is answered, not refused.
    const resent = await call(tab2, 'message:send', {
      room: 'general',
      text: 'm1',
      clientMsgId: 'c1',
    });
    expect(resent.message).toMatchObject({ seq: 2, text: 'm1' });
    // The bucket is the room's: Ana may still talk elsewhere, and Bo here.
    await call(tab1, 'message:send', { room: 'random', text: 'elsewhere', clientMsgId: 'r' });
    await call(other, 'message:send', { room: 'general', text: 'bo', clientMsgId: 'b' });
    // After waiting as told, Ana may send again; the refused messages were never stored.
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 20));
    await call(tab1, 'message:send', { room: 'general', text: 'later', clientMsgId: 'later' });
    const history = await call(other, 'message:history', { room: 'general' });
    expect(messagesOf(history.messages).map((m) => m.text)).toEqual([
      'm0',
      'm1',
      'm2',
      'bo',
      'later',
    ]);
  });

  it('limits a flood of any event on one connection', async () => {
    await t.close();
    // Refilled at one a second: the eight are counted as one flood unless they take a second.
    t = await startServer({ RATE_EVENTS_PER_SECOND: '1', RATE_EVENTS_BURST: '5' });
    const ana = await t.connect('acme', await t.token('Ana'));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => request(ana, 'room:list', {})),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.find((r) => !r.ok)).toMatchObject({ error: { code: 'rate_limited' } });
  });
});
