import { Message } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  settle,
  startServer,
  type TestServer,
} from '../../test/helpers';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.close());

async function twoUsersInRoom(room = 'general') {
  const ana = await t.connect('acme', await t.token('Ana'));
  const bo = await t.connect('acme', await t.token('Bo'));
  await call(ana, 'room:join', { room });
  await call(bo, 'room:join', { room });
  return { ana, bo };
}

describe('messages', () => {
  it('two users chat both ways, each message stored with the next seq', async () => {
    const { ana, bo } = await twoUsersInRoom();
    const atBo = nextEvent(bo, 'message:new');
    const sent = await call(ana, 'message:send', {
      room: 'general',
      text: '  hello Bo  ',
      clientMsgId: 'm1',
    });
    expect(Message.parse(sent.message)).toMatchObject({
      room: 'general',
      seq: 1,
      text: 'hello Bo',
      author: { name: 'Ana' },
      clientMsgId: 'm1',
    });
    expect(await atBo).toEqual(sent.message);

    const atAna = nextEvent(ana, 'message:new');
    const reply = await call(bo, 'message:send', {
      room: 'general',
      text: 'hi Ana 👋',
      clientMsgId: 'm1',
    });
    expect(reply.message.seq).toBe(2);
    expect(await atAna).toMatchObject({ seq: 2, text: 'hi Ana 👋', author: { name: 'Bo' } });
  });

  it('a resend with the same clientMsgId answers the original and broadcasts nothing', async () => {
    const { ana, bo } = await twoUsersInRoom();
    const seenByBo = collect(bo, 'message:new');
    const first = await call(ana, 'message:send', {
      room: 'general',
      text: 'once',
      clientMsgId: 'retry-1',
    });
    const again = await call(ana, 'message:send', {
      room: 'general',
      text: 'once',
      clientMsgId: 'retry-1',
    });
    expect(again.message).toEqual(first.message);
    // The sentinel: the next message reaches Bo after anything the resend broadcast.
    const twiceAtBo = nextEvent(bo, 'message:new', (m) => m.text === 'twice');
    const next = await call(ana, 'message:send', {
      room: 'general',
      text: 'twice',
      clientMsgId: 'retry-2',
    });
    expect(next.message.seq).toBe(first.message.seq + 1);
    await twiceAtBo;
    expect(seenByBo.map((m) => m.text)).toEqual(['once', 'twice']);
    const history = await call(bo, 'message:history', { room: 'general' });
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('the same clientMsgId from another user is another message', async () => {
    const { ana, bo } = await twoUsersInRoom();
    const a = await call(ana, 'message:send', { room: 'general', text: 'a', clientMsgId: 'same' });
    const b = await call(bo, 'message:send', { room: 'general', text: 'b', clientMsgId: 'same' });
    expect(b.message.id).not.toBe(a.message.id);
    expect(b.message.seq).toBe(2);
  });

  it('answers not_joined for a room the socket has not joined, and stores nothing', async () => {
    const { ana, bo } = await twoUsersInRoom();
    const send = await request(bo, 'message:send', {
      room: 'random',
      text: 'hi',
      clientMsgId: 'x',
    });
    expect(send).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    const history = await request(bo, 'message:history', { room: 'random' });
    expect(history).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    await call(ana, 'room:join', { room: 'random' });
    expect((await call(ana, 'message:history', { room: 'random' })).messages).toEqual([]);
  });

  it('after leaving, a socket no longer receives the room and cannot send to it', async () => {
    const { ana, bo } = await twoUsersInRoom();
    const seenByBo = collect(bo, 'message:new');
    await call(bo, 'room:leave', { room: 'general' });
    await call(ana, 'message:send', { room: 'general', text: 'gone?', clientMsgId: 'g' });
    // Broadcast (on one node) before Ana's send was answered: Bo's round trip comes after it.
    await settle(bo);
    expect(seenByBo).toEqual([]);
    const send = await request(bo, 'message:send', {
      room: 'general',
      text: 'x',
      clientMsgId: 'y',
    });
    expect(send).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await request(bo, 'room:leave', { room: 'general' })).toMatchObject({
      ok: false,
      error: { code: 'not_joined' },
    });
  });

  it('pages history backwards with before and limit', async () => {
    const { ana } = await twoUsersInRoom();
    for (let i = 1; i <= 7; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    const newest = await call(ana, 'message:history', { room: 'general', limit: 3 });
    expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(newest.hasMore).toBe(true);
    const older = await call(ana, 'message:history', { room: 'general', before: 5, limit: 3 });
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(older.hasMore).toBe(true);
    const oldest = await call(ana, 'message:history', { room: 'general', before: 2, limit: 3 });
    expect(messagesOf(oldest.messages).map((m) => m.text)).toEqual(['m1']);
    expect(oldest.hasMore).toBe(false);
  });

  it('keeps only the newest messages of a room up to the retention', async () => {
    await t.close();
    t = await startServer({ HISTORY_RETENTION: '5' });
    const { ana } = await twoUsersInRoom();
    for (let i = 1; i <= 8; i++) {
      await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `c${i}` });
    }
    const page = await call(ana, 'message:history', { room: 'general', limit: 100 });
    expect(page.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(page.hasMore).toBe(false);
  });
});
