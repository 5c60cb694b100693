import type { Message } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, nextEvent, sleep, type TestServer } from '../../test/helpers';

type ChatSocket = Awaited<ReturnType<TestServer['connect']>>;

import { startSentinelGroup, type TestSentinelGroup } from '../../test/redis-sentinel';

/**
 * Redis behind Sentinel, as deploy.md recommends it: a master, two replicas, three sentinels.
 * The master is killed while two nodes take messages; each node must follow the sentinels to
 * the new master by itself, answer `unavailable` (never hang) until then, and with
 * REDIS_WAIT_REPLICAS=1 no acknowledged message may be lost and no `seq` given twice.
 */
let group: TestSentinelGroup;
beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 2, downAfterMs: 1000, failoverTimeoutMs: 3000 });
}, 60_000);
afterAll(() => group?.stop());

interface Outcome {
  clientMsgId: string;
  startedAt: number;
  answeredAt: number;
  seq?: number;
  code?: string;
}

/** Sends one message after another until `stop()`, resending after `unavailable` as clients do. */
function sender(socket: ChatSocket, name: string) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const clientMsgId = `${name}-${i}`;
      // Resent with the same clientMsgId until it is acknowledged: it is stored once, whatever
      // became of the tries that were answered `unavailable`. Once stopped, one unacknowledged is
      // left as it is (the checks below take only acknowledged ones): a node that never answers
      // again fails the checks, instead of holding the test until its timeout.
      for (;;) {
        const startedAt = Date.now();
        const answer = await request(socket, 'message:send', {
          room: 'general',
          text: clientMsgId,
          clientMsgId,
        });
        const outcome = { clientMsgId, startedAt, answeredAt: Date.now() };
        if (answer.ok) {
          outcomes.push({ ...outcome, seq: answer.message.seq });
          break;
        }
        outcomes.push({ ...outcome, code: answer.error.code });
        if (stopped) break;
        await sleep(50);
      }
      // A steady pace, so that sends are in flight when the master dies.
      await sleep(40);
    }
  })();
  return {
    outcomes,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** The whole history of a room, page by page. */
async function wholeHistory(socket: ChatSocket): Promise<Message[]> {
  const all: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const { messages } = await call(socket, 'message:history', {
      room: 'general',
      limit: 100,
      ...(before !== undefined && { before }),
    });
    const page = messages.filter((entry): entry is Message => !('type' in entry));
    all.unshift(...page);
    if (messages.length < 100) return all;
    before = messages[0]?.seq;
  }
}

describe('Redis Sentinel failover', () => {
  it('every node follows the sentinels to the new master, no acknowledged message lost, no seq reused', async () => {
    const nodes = await startCluster(
      {
        REDIS_SENTINELS: group.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
        REDIS_SENTINEL_MASTER: group.name,
      },
      2,
      {
        REDIS_WAIT_REPLICAS: '1',
        REDIS_COMMAND_TIMEOUT_MS: '1000',
        REDIS_WAIT_TIMEOUT_MS: '500',
        HISTORY_RETENTION: '5000',
        LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent',
      },
    );
    const [a, b] = nodes as [TestServer, TestServer];
    try {
      const ana = await a.connect('acme', await a.token('Ana', { sub: 'ana' }));
      const bo = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
      for (const socket of [ana, bo]) await call(socket, 'room:join', { room: 'general' });
      // Delivered across nodes before the failover.
      const crossed = nextEvent(bo, 'message:new', (m) => m.text === 'before', 5000);
      await call(ana, 'message:send', { room: 'general', text: 'before', clientMsgId: 'before' });
      await crossed;

      const senders = { a: sender(ana, 'a'), b: sender(bo, 'b') };
      // Messages flowing through both nodes before the kill.
      await expect
        .poll(() => Math.min(senders.a.outcomes.length, senders.b.outcomes.length), {
          timeout: 10_000,
        })
        .toBeGreaterThan(5);
      const old = await group.killMaster();
      const killedAt = Date.now();
      const { newMaster, ms: failoverMs } = await group.waitForFailover(old, 30_000);
      expect(newMaster.port).not.toBe(old.port);

      // Each node is back once a send it started after the kill is acknowledged.
      const backAfter = (outcomes: Outcome[]) => {
        const first = outcomes.find((o) => o.startedAt >= killedAt && o.seq !== undefined);
        return first ? first.answeredAt - killedAt : undefined;
      };
      await expect
        .poll(() => [backAfter(senders.a.outcomes), backAfter(senders.b.outcomes)], {
          timeout: 30_000,
          interval: 100,
        })
        .not.toContain(undefined);
      // And a few more through each, so sends after the failover are checked too.
      const counted = { a: senders.a.outcomes.length, b: senders.b.outcomes.length };
      await expect
        .poll(() => senders.a.outcomes.length - counted.a + senders.b.outcomes.length - counted.b, {
          timeout: 10_000,
        })
        .toBeGreaterThan(10);
      await Promise.all([senders.a.stop(), senders.b.stop()]);
      const recovery = { a: backAfter(senders.a.outcomes), b: backAfter(senders.b.outcomes) };
      const outcomes = [...senders.a.outcomes, ...senders.b.outcomes];
      const refused = outcomes.filter((o) => o.code !== undefined);
      const slowest = Math.max(...outcomes.map((o) => o.answeredAt - o.startedAt));
      console.info(
        `sentinel failover: sentinels promoted a replica ${failoverMs} ms after the kill; ` +
          `nodes acknowledged again after ${recovery.a} ms (a) and ${recovery.b} ms (b); ` +
          `${refused.length} tries answered unavailable meanwhile; slowest answer ${slowest} ms`,
      );

      // Meanwhile: `unavailable` (outcome unknown), never another error, never a hang.
      expect(new Set(refused.map((o) => o.code))).toEqual(
        refused.length ? new Set(['unavailable']) : new Set(),
      );
      expect(slowest).toBeLessThan(5000);
      expect(Math.max(recovery.a ?? Infinity, recovery.b ?? Infinity)).toBeLessThan(20_000);

      // Afterwards every acknowledged message is in history, once, at the seq it was given;
      // no seq is used twice (a lost write would let the new master hand it out again).
      const history = await wholeHistory(ana);
      const seqs = history.map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      const bySeq = new Map(history.map((m) => [m.seq, m]));
      const acked = outcomes.filter((o) => o.seq !== undefined);
      for (const { clientMsgId, seq } of acked) {
        expect(bySeq.get(seq as number)?.clientMsgId, `acked ${clientMsgId} at ${seq}`).toBe(
          clientMsgId,
        );
      }
      const ids = history.map((m) => m.clientMsgId);
      expect(new Set(ids).size).toBe(ids.length);

      // Broadcasts cross nodes again through the new master.
      const after = nextEvent(bo, 'message:new', (m) => m.text === 'after', 5000);
      await call(ana, 'message:send', { room: 'general', text: 'after', clientMsgId: 'after' });
      await after;
      // And both nodes report ready.
      for (const node of nodes) {
        await expect
          .poll(async () => (await fetch(`${node.url}/readyz`)).status, { timeout: 10_000 })
          .toBe(200);
      }
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  }, 120_000);
});
