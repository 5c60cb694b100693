import type { Message } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import { call, collect, sleep, type TestServer } from '../../test/helpers';
import { startRedis, type TestRedis } from '../../test/redis';

const ROOMS = ['general', 'random'];
const SENDERS_PER_NODE = 2;
const MESSAGES_PER_SENDER_PER_ROOM = 25;

let redis: TestRedis;
let nodes: TestServer[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  await redis.stop();
});

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(20);
}

describe('three nodes, concurrent senders', () => {
  it('each room numbers 1..N with no gap or duplicate, and every socket sees each message once, in seq order', async () => {
    nodes = await startCluster(redis.url, 3);
    const join = async (socket: ChatSocket) => {
      for (const room of ROOMS) await call(socket, 'room:join', { room });
      return socket;
    };
    const receivers = await Promise.all(
      nodes.map(async (node, i) => join(await node.connect('acme', await node.token(`R${i}`)))),
    );
    const senders = await Promise.all(
      nodes.flatMap((node, n) =>
        Array.from({ length: SENDERS_PER_NODE }, async (_, s) =>
          join(await node.connect('acme', await node.token(`S${n}-${s}`))),
        ),
      ),
    );
    const heardByReceivers = receivers.map((socket) => collect(socket, 'message:new'));
    const heardBySenders = senders.map((socket) => collect(socket, 'message:new'));

    const acked: Message[][] = await Promise.all(
      senders.map(async (socket, s) => {
        const mine: Message[] = [];
        for (let i = 0; i < MESSAGES_PER_SENDER_PER_ROOM; i++) {
          const sends = ROOMS.map((room) =>
            call(socket, 'message:send', { room, text: `${s}:${i}`, clientMsgId: `${s}-${i}` }),
          );
          for (const { message } of await Promise.all(sends)) mine.push(message);
        }
        return mine;
      }),
    );
    const perRoom = senders.length * MESSAGES_PER_SENDER_PER_ROOM;
    const everySeq = Array.from({ length: perRoom }, (_, i) => i + 1);
    const seqsIn = (messages: Message[], room: string) =>
      messages.filter((m) => m.room === room).map((m) => m.seq);

    // Acknowledged: every seq exactly once per room.
    for (const room of ROOMS) {
      expect(seqsIn(acked.flat(), room).sort((x, y) => x - y)).toEqual(everySeq);
    }
    // Stored: the same, read back through a node.
    const reader = receivers[0] as ChatSocket;
    for (const room of ROOMS) {
      const newest = await call(reader, 'message:history', { room, limit: 100 });
      const oldest = await call(reader, 'message:history', { room, before: 51, limit: 100 });
      expect([...oldest.messages, ...newest.messages].map((m) => m.seq)).toEqual(everySeq);
    }
    // Delivered: each receiver, on every node, every message once and in seq order.
    await until(() => heardByReceivers.every((heard) => heard.length === perRoom * 2), 10_000);
    for (const heard of heardByReceivers) {
      for (const room of ROOMS) expect(seqsIn(heard, room)).toEqual(everySeq);
    }
    // Senders hear everyone else's messages, in order, and never their own.
    await until(
      () =>
        heardBySenders.every((heard, s) => heard.length === perRoom * 2 - (acked[s]?.length ?? 0)),
      10_000,
    );
    heardBySenders.forEach((heard, s) => {
      const own = new Set(acked[s]?.map((m) => m.id));
      expect(heard.filter((m) => own.has(m.id))).toEqual([]);
      for (const room of ROOMS) {
        const seqs = seqsIn(heard, room);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs).toHaveLength(perRoom - MESSAGES_PER_SENDER_PER_ROOM);
      }
    });
  });
});
