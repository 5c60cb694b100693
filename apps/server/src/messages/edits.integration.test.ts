import { isChange } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  startServer,
  type TestServer,
} from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const deployments: Record<string, () => Promise<TestServer[]>> = {
  'one node': async () => [await startServer()],
  'two nodes over Redis': () => startCluster(redis.url, 2),
};

describe.each(Object.keys(deployments))('edits and deletions (%s)', (name) => {
  let nodes: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.close()));
  });

  async function room() {
    nodes = await (deployments[name] as () => Promise<TestServer[]>)();
    const at = (i: number) => nodes[i % nodes.length] as TestServer;
    const anaToken = await at(0).token('Ana', { sub: 'ana' });
    const ana = await at(0).connect('acme', anaToken);
    const anaOtherTab = await at(1).connect('acme', anaToken);
    const bo = await at(1).connect('acme', await at(1).token('Bo', { sub: 'bo' }));
    const mod = await at(0).connect('acme', await at(0).token('Mod', { sub: 'mod' }));
    await call(ana, 'room:create', { room: 'general' });
    await call(ana, 'member:add', { room: 'general', userId: 'mod', role: 'moderator' });
    for (const socket of [ana, anaOtherTab, bo, mod])
      await call(socket, 'room:join', { room: 'general' });
    return { ana, anaOtherTab, bo, mod, at };
  }

  it('reach everyone live, and history serves the new text and a tombstone, seq gap-free', async () => {
    const { ana, anaOtherTab, bo, mod } = await room();
    const hello = await call(ana, 'message:send', {
      room: 'general',
      text: 'helo',
      clientMsgId: 'a',
    });
    const mine = await call(bo, 'message:send', {
      room: 'general',
      text: 'bo here',
      clientMsgId: 'b',
    });
    const updatedAtBo = nextEvent(bo, 'message:updated');
    const updatedAtTab = nextEvent(anaOtherTab, 'message:updated');
    const heardByAna = collect(ana, 'message:updated');
    const edited = await call(ana, 'message:edit', {
      room: 'general',
      seq: hello.message.seq,
      id: hello.message.id,
      text: 'hello',
    });
    expect(edited.message).toMatchObject({ seq: 1, text: 'hello', id: hello.message.id });
    expect(edited.message.editedAt).toBeDefined();
    expect(edited.changeSeq).toBe(3);
    expect(await updatedAtBo).toEqual({ ...edited.message, changeSeq: 3 });
    expect(await updatedAtTab).toEqual({ ...edited.message, changeSeq: 3 });
    const deletedAtAna = nextEvent(ana, 'message:deleted');
    const deleted = await call(mod, 'message:delete', {
      room: 'general',
      seq: mine.message.seq,
      id: mine.message.id,
    });
    expect(deleted.message).toMatchObject({ seq: 2, text: '', deleted: true });
    expect(deleted.changeSeq).toBe(4);
    expect(await deletedAtAna).toEqual({
      room: 'general',
      id: mine.message.id,
      seq: 2,
      changeSeq: 4,
    });
    // The deletion (change seq 4) was the sentinel: Ana gets a room's entries in seq order, on
    // either deployment, so an update of her own edit (seq 3) would have come before it.
    expect(heardByAna).toEqual([]); // the editor has it in its answer
    const { messages } = await call(bo, 'message:history', { room: 'general' });
    expect(messages.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    expect(messagesOf(messages)).toEqual([edited.message, deleted.message]);
  });

  it('reach a client that was away when it re-joins with since', async () => {
    const { ana, bo, at } = await room();
    const one = await call(bo, 'message:send', { room: 'general', text: 'one', clientMsgId: '1' });
    const two = await call(bo, 'message:send', { room: 'general', text: 'two', clientMsgId: '2' });
    const since = (await call(ana, 'message:history', { room: 'general' })).messages.at(-1);
    ana.disconnect();
    await call(bo, 'message:edit', { room: 'general', seq: 1, id: one.message.id, text: 'one!' });
    await call(bo, 'message:delete', { room: 'general', seq: 2, id: two.message.id });
    const back = await at(1).connect('acme', await at(1).token('Ana', { sub: 'ana' }));
    const rejoined = await call(back, 'room:join', {
      room: 'general',
      since: since?.seq,
      sinceId: since?.id,
    });
    expect(rejoined.recovered).toBe(true);
    expect(
      rejoined.messages.map((entry) =>
        isChange(entry)
          ? `${entry.action} ${entry.message.seq}: ${entry.message.text}`
          : entry.text,
      ),
    ).toEqual(['edit 1: one!', 'delete 2: ']);
  });

  it('may be retried: the same edit or deletion again changes nothing more', async () => {
    const { ana, bo } = await room();
    const sent = await call(ana, 'message:send', { room: 'general', text: 'x', clientMsgId: 'x' });
    const target = { room: 'general', seq: sent.message.seq, id: sent.message.id };
    const first = await call(ana, 'message:edit', { ...target, text: 'y' });
    const again = await call(ana, 'message:edit', { ...target, text: 'y' });
    expect(again.message).toEqual(first.message);
    expect([first.changeSeq, again.changeSeq]).toEqual([2, undefined]); // no second entry
    const gone = await call(ana, 'message:delete', target);
    const goneAgain = await call(ana, 'message:delete', target);
    expect(goneAgain.message).toEqual(gone.message);
    expect([gone.changeSeq, goneAgain.changeSeq]).toEqual([3, undefined]);
    expect((await call(bo, 'room:join', { room: 'general' })).room.lastSeq).toBe(3);
    // A deleted message is not edited back to life, and another's is not yours to edit.
    expect(await request(ana, 'message:edit', { ...target, text: 'z' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const bos = await call(bo, 'message:send', { room: 'general', text: 'b', clientMsgId: 'b' });
    const bosRef = { room: 'general', seq: bos.message.seq, id: bos.message.id };
    expect(await request(ana, 'message:edit', { ...bosRef, text: 'mine now' })).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect(await request(ana, 'message:delete', { ...bosRef, id: 'not-that-one' })).toMatchObject({
      error: { code: 'not_found' },
    });
  });
});

describe('a client of protocol 1', () => {
  it('keeps working where rooms are open: join of a new name creates it, send, history', async () => {
    const t = await startServer();
    try {
      const ana = await t.connect('acme', await t.token('Ana'));
      const joined = await call(ana, 'room:join', { room: 'brand-new' });
      expect(joined.room).toMatchObject({ name: 'brand-new', visibility: 'public', role: 'owner' });
      await call(ana, 'message:send', { room: 'brand-new', text: 'hi', clientMsgId: 'c' });
      const bo = await t.connect('acme', await t.token('Bo'));
      const history = await call(bo, 'room:join', { room: 'brand-new' });
      expect(history.messages.map((m) => ('text' in m ? m.text : ''))).toEqual(['hi']);
      expect(history.room.role).toBeNull();
    } finally {
      await t.close();
    }
  });
});
