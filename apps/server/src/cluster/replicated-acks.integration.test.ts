import { request } from '@parley/protocol/client';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, collect, messagesOf, nextEvent, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

/**
 * REDIS_WAIT_REPLICAS: a message is acknowledged, and announced, only once a replica has it —
 * what a failover keeps. A replica that does not confirm in time makes the send `unavailable`
 * (outcome unknown) and nobody hears of the message live; a resend answers it once confirmed.
 */
/** How long a node holds an entry heard before one it has not heard yet: history.ts. */
const REORDER_WINDOW_MS = 200;

let master: TestRedis;
let replica: TestRedis;
beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis({ replicaOf: master.port });
  const client = createClient({ url: master.url });
  await client.connect();
  try {
    // Synchronised, not merely connected: WAIT counts only replicas that are online.
    const deadline = Date.now() + 10_000;
    while (!/slave0:.*state=online/.test(await client.info('replication'))) {
      if (Date.now() > deadline) throw new Error('the replica never came online');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.destroy();
  }
});
afterAll(async () => {
  await replica.stop();
  await master.stop();
});

describe('replicated acknowledgements', () => {
  it('acknowledge once a replica has it, announce nothing a failover could take back, and keep seq order across nodes', async () => {
    const nodes = await startCluster(master.url, 2, {
      REDIS_WAIT_REPLICAS: '1',
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      REDIS_WAIT_TIMEOUT_MS: '300',
    });
    const [a, b] = nodes as [TestServer, TestServer];
    try {
      const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
      const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
      const cy = await b.connect('acme', await b.token('Cy', { sub: 'cy' }));
      for (const socket of [ana, bo, cy]) await call(socket, 'room:join', { room: 'general' });
      const heard = collect(cy, 'message:new');
      const heardAt = new Map<number, number>();
      cy.on('message:new', (message) => heardAt.set(message.seq, Date.now()));
      const send = (i: number) =>
        call(i % 2 ? ana : bo, 'message:send', {
          room: 'general',
          text: `m${i}`,
          clientMsgId: `m${i}`,
        });

      // The first alone: from then on Cy's node knows where the room is in its sequence (the
      // first entry of a room a node hears goes straight through, whatever its seq).
      const firstHeard = nextEvent(cy, 'message:new');
      await send(0);
      await firstHeard;
      // Then both nodes send at once: each publishes after its own WAIT, and Cy still hears seq
      // order — as far as a node puts it back: it holds an early entry for those before it at
      // most REORDER_WINDOW_MS (200 ms, history.ts), then goes on, and one that comes later
      // still is delivered late rather than lost. A loaded machine may take that long; a node
      // that did not reorder at all shows entries out of order within milliseconds.
      const sendsStarted = Date.now();
      await Promise.all(Array.from({ length: 19 }, (_, i) => send(i + 1)));
      await expect.poll(() => heard.length, { timeout: 5000 }).toBe(20);
      const everySeq = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(heard.map((m) => m.seq).sort((x, y) => x - y)).toEqual(everySeq); // each once
      const late = heard.filter((m, k) => heard.slice(0, k).some((before) => before.seq > m.seq));
      for (const { seq } of late) {
        expect(
          (heardAt.get(seq) ?? 0) - sendsStarted,
          `seq ${seq} out of order`,
        ).toBeGreaterThanOrEqual(REORDER_WINDOW_MS);
      }

      // The replica stops confirming: the write happened on the master, but a failover now
      // could lose it, so the sender hears `unavailable` and nobody hears the message.
      replica.pause();
      const started = Date.now();
      const unconfirmed = await request(ana, 'message:send', {
        room: 'general',
        text: 'unconfirmed',
        clientMsgId: 'u1',
      });
      expect(unconfirmed).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(Date.now() - started).toBeLessThan(2000);
      replica.resume();

      // Once the replica confirms again, the resend answers the original (stored once).
      let resent = await request(ana, 'message:send', {
        room: 'general',
        text: 'unconfirmed',
        clientMsgId: 'u1',
      });
      for (let tries = 0; !resent.ok && tries < 20; tries++) {
        resent = await request(ana, 'message:send', {
          room: 'general',
          text: 'unconfirmed',
          clientMsgId: 'u1',
        });
      }
      expect(resent).toMatchObject({ ok: true, message: { seq: 21, text: 'unconfirmed' } });
      // Published after anything A published before: had the first try been announced, Cy would
      // have heard it by now.
      const after = nextEvent(cy, 'message:new', (m) => m.text === 'after', 5000);
      await call(ana, 'message:send', { room: 'general', text: 'after', clientMsgId: 'after' });
      expect((await after).seq).toBe(22);
      expect(heard.map((m) => m.text)).not.toContain('unconfirmed');
      const history = messagesOf(
        (await call(cy, 'message:history', { room: 'general', limit: 100 })).messages,
      );
      expect(history.filter((m) => m.clientMsgId === 'u1')).toHaveLength(1);
      expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});
