import type { Message } from '@parley/protocol';
import { request, sendMessage } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, collect, messagesOf, nextEvent, sleep, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

let redis: TestRedis;
let nodes: TestServer[] = [];
beforeAll(async () => {
  // Persistent (append-only file, fsync on every write), as production should run it: a
  // restarted Redis still has every write it acknowledged.
  redis = await startRedis({ persistent: true });
});
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  await redis.stop();
});

async function readyStatus(node: TestServer): Promise<number> {
  return (await fetch(`${node.url}/readyz`)).status;
}

describe('Redis killed and restarted mid-conversation', () => {
  it('answers unavailable while down, recovers by itself, and loses no acknowledged message', async () => {
    const commandTimeoutMs = 500;
    nodes = await startCluster(redis.url, 2, {
      REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs),
    });
    const [a, b] = nodes as [TestServer, TestServer];
    const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
    const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    const acked: Message[] = [];
    for (let i = 1; i <= 3; i++) {
      acked.push(
        (await call(ana, 'message:send', { room: 'general', text: `m${i}`, clientMsgId: `m${i}` }))
          .message,
      );
    }

    await redis.kill();
    const started = Date.now();
    const failed = await request(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(failed).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    // Answered by the deadline, not after Redis is back: four deadlines leave room for a loaded
    // machine, and stay far below the 10 s a client waits for any answer.
    expect(Date.now() - started).toBeLessThan(4 * commandTimeoutMs);
    expect(await request(bo, 'room:list', {})).toMatchObject({ error: { code: 'unavailable' } });
    expect(await readyStatus(a)).toBe(503);
    expect(await readyStatus(b)).toBe(503);
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    expect(ana.connected && bo.connected).toBe(true);

    await redis.restart();
    const restartedAt = Date.now();
    while ((await readyStatus(a)) !== 200 || (await readyStatus(b)) !== 200) {
      expect(Date.now() - restartedAt).toBeLessThan(5000);
      await sleep(50);
    }

    // The client retries the send that failed, with the same clientMsgId.
    const atBo = nextEvent(bo, 'message:new', () => true, 5000);
    const retried = await call(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(await atBo).toEqual(retried.message);
    expect(Date.now() - restartedAt).toBeLessThan(5000);
    acked.push(retried.message);
    const again = await call(ana, 'message:send', {
      room: 'general',
      text: 'during the outage',
      clientMsgId: 'outage-1',
    });
    expect(again.message).toEqual(retried.message);

    // The adapter's own subscriptions came back too: presence and typing cross nodes again.
    const joined = nextEvent(bo, 'presence:joined', () => true, 5000);
    const cy = await a.connect('acme', await a.token('Cy', { sub: 'cy' }));
    await call(cy, 'room:join', { room: 'general' });
    expect(await joined).toEqual({ room: 'general', member: { id: 'cy', name: 'Cy' } });
    const typing = nextEvent(bo, 'typing:changed', () => true, 5000);
    cy.emit('typing:set', { room: 'general', typing: true });
    await typing;

    const history = await call(bo, 'message:history', { room: 'general', limit: 100 });
    expect(history.messages).toEqual(acked);
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('a stalled Redis: unavailable within the deadline, /readyz 503, and a resend after it neither loses nor duplicates', async () => {
    const own = await startRedis();
    const commandTimeoutMs = 300;
    const stalled = await startCluster(own.url, 2, {
      REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs),
    });
    // Everything below is answered by the deadline, while Redis still answers nothing; seven
    // deadlines leave room for a loaded machine, and stay below the 5 s the sends wait.
    const boundMs = 7 * commandTimeoutMs;
    try {
      const [a, b] = stalled as [TestServer, TestServer];
      const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
      const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
      await call(ana, 'room:join', { room: 'general' });
      await call(bo, 'room:join', { room: 'general' });
      await call(ana, 'message:send', { room: 'general', text: 'before', clientMsgId: 'before' });

      // SIGSTOP: connections stay open and nothing answers, as behind a partition. Everything
      // below is answered while Redis is still stopped: none of it can have waited for it.
      own.pause();
      const send = (clientMsgId: string) =>
        request(ana, 'message:send', { room: 'general', text: clientMsgId, clientMsgId }, 5000);
      const timed = async <T>(work: Promise<T>) => {
        const started = Date.now();
        const result = await work;
        return { result, ms: Date.now() - started };
      };
      const first = await timed(send('stalled-1'));
      expect(first.result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(first.ms).toBeLessThan(boundMs);
      for (const node of [a, b]) {
        const ready = await timed(fetch(`${node.url}/readyz`));
        expect(ready.result.status).toBe(503);
        expect(ready.ms).toBeLessThan(boundMs);
      }
      const second = await timed(send('stalled-2'));
      expect(second.result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(second.ms).toBeLessThan(boundMs);
      expect(await request(bo, 'room:list', {}, 5000)).toMatchObject({
        error: { code: 'unavailable' },
      });
      expect((await fetch(`${a.url}/healthz`)).status).toBe(200);

      own.resume();
      const resumedAt = Date.now();
      while ((await readyStatus(a)) !== 200 || (await readyStatus(b)) !== 200) {
        expect(Date.now() - resumedAt).toBeLessThan(5000);
        await sleep(50);
      }
      // "unavailable" is "outcome unknown": resending with the same clientMsgId stores it if it
      // was not, and answers the original if it was — once either way.
      const heardByBo = collect(bo, 'message:new');
      for (const id of ['stalled-1', 'stalled-2', 'stalled-1'])
        await call(ana, 'message:send', { room: 'general', text: id, clientMsgId: id });
      await call(ana, 'message:send', { room: 'general', text: 'after', clientMsgId: 'after' });
      await expect
        .poll(() => heardByBo.some((m) => m.text === 'after'), { timeout: 5000 })
        .toBe(true);
      const history = messagesOf(
        (await call(bo, 'message:history', { room: 'general', limit: 100 })).messages,
      );
      expect(history.map((m) => m.text).sort()).toEqual([
        'after',
        'before',
        'stalled-1',
        'stalled-2',
      ]);
      expect(history.map((m) => m.seq)).toEqual([1, 2, 3, 4]);

      // The typed client does that by itself: sendMessage resends on unavailable, same id.
      own.pause();
      const resumeSoon = setTimeout(() => own.resume(), 600);
      const sent = await sendMessage(
        ana,
        { room: 'general', text: 'through the stall', clientMsgId: 'through' },
        { delaysMs: [200, 400, 800, 1600, 3200] },
      );
      clearTimeout(resumeSoon);
      expect(sent).toMatchObject({ ok: true, message: { text: 'through the stall', seq: 5 } });
      const after = messagesOf(
        (await call(bo, 'message:history', { room: 'general', limit: 100 })).messages,
      );
      expect(after.filter((m) => m.clientMsgId === 'through')).toHaveLength(1);
    } finally {
      own.resume();
      await Promise.all(stalled.map((node) => node.close()));
      await own.stop();
    }
  });

  it('a node still shuts down promptly and cleanly while Redis is down', async () => {
    const own = await startRedis();
    try {
      const [node] = (await startCluster(own.url, 1)) as [TestServer];
      const ana = await node.connect('acme', await node.token('Ana'));
      await call(ana, 'room:join', { room: 'general' });
      await own.kill();
      const started = Date.now();
      // Nothing may hang or reject unhandled (vitest fails the run on an unhandled rejection).
      await node.server.close();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await own.stop();
    }
  });
});
