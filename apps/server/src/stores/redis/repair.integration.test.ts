import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isWellFormed } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedHeard } from '../../../test/feed';
import { messagesOf } from '../../../test/helpers';
import { openRedisStores, startRedis, type TestRedis, uniquePrefix } from '../../../test/redis';
import type { AppendedEntry } from '../types';
import { redisKeys } from './keys';
import { repairRooms } from './repair';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const RETENTION = 5;
const REPAIR = fileURLToPath(new URL('../../repair.ts', import.meta.url));

/**
 * A room as the versions before the fix left it once a message with a lone surrogate had left
 * retention: every append failed after storing (so the log kept growing past retention), the
 * idempotency keys in a hash, the poisoned message still there.
 */
async function wedgedRoom(
  stores: Awaited<ReturnType<typeof openRedisStores>>,
  prefix: string,
  room: string,
) {
  const keys = redisKeys(prefix);
  const ref = { workspace: 'acme', room };
  const client = stores.connections.commands;
  for (let seq = 1; seq <= 12; seq++) {
    const author = { id: 'ana', name: seq === 2 ? 'An\ud800a' : 'Ana' };
    const json = JSON.stringify({
      id: `m${seq}`,
      room,
      author,
      text: seq === 3 ? 'bad \udc00 text' : `m${seq}`,
      sentAt: new Date().toISOString(),
      clientMsgId: `c${seq}`,
    });
    await client.zAdd(keys.log(ref), { score: seq, value: json });
    await client.hSet(keys.legacyIds(ref), `ana\u0000c${seq}`, String(seq));
  }
  await client.set(keys.seq(ref), '12');
  // And bytes no JSON encoder writes, at seq 4.
  await client.zRemRangeByScore(keys.log(ref), 4, 4);
  await client.sendCommand([
    'ZADD',
    keys.log(ref),
    '4',
    Buffer.concat([
      Buffer.from('{"id":"m4","room":"'),
      Buffer.from(room),
      Buffer.from(
        '","author":{"id":"ana","name":"Ana"},"text":"raw \xff\xfe bytes","sentAt":"2026-01-01T00:00:00.000Z","clientMsgId":"c4"}',
        'latin1',
      ),
    ]),
  ]);
  return { keys, ref, client };
}

describe('rooms wedged by older versions', () => {
  it('work again on their next message: published, trimmed, old keys moved, resends answered', async () => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, {
      prefix,
      limits: { historyRetention: RETENTION },
    });
    try {
      const { keys, ref, client } = await wedgedRoom(stores, prefix, 'general');
      const heard: AppendedEntry[] = [];
      stores.history.onAppended(
        (appended) => heard.push(appended),
        (ref) => ref.workspace !== 'feed-probe',
      );
      await feedHeard(stores.history);
      const sent = await stores.history.append(ref, {
        author: { id: 'bo', name: 'Bo' },
        text: 'back',
        clientMsgId: 'b1',
      });
      expect(sent).toMatchObject({ created: true, message: { seq: 13 } });
      await expect.poll(() => heard.map((h) => h.entry.seq)).toEqual([13]);
      expect((await stores.history.page(ref, { limit: 50 })).messages.map((m) => m.seq)).toEqual([
        9, 10, 11, 12, 13,
      ]);
      expect(await client.exists(keys.legacyIds(ref))).toBe(0);
      expect(await client.zCard(keys.ids(ref))).toBe(5);
      // A resend of a message still retained is answered with the original.
      const resent = await stores.history.append(ref, {
        author: { id: 'ana', name: 'Ana' },
        text: 'm10',
        clientMsgId: 'c10',
      });
      expect(resent).toMatchObject({ created: false, message: { seq: 10 } });
    } finally {
      await stores.close();
    }
  });

  it('are repaired in one pass: trimmed, keys moved, ill-formed text and topics rewritten; a second pass changes nothing', async () => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, { prefix, limits: { historyRetention: 20 } });
    try {
      const { keys, ref, client } = await wedgedRoom(stores, prefix, 'general');
      await stores.rooms.setTopic({ workspace: 'acme', room: 'general' }, 'topic \ud83d');
      // A room an older node made: in the rooms hash, not in the name index.
      await client.hSet(keys.rooms('acme'), 'older', JSON.stringify({ topic: null }));
      expect(
        (await stores.rooms.page('acme', { limit: 10, visibility: 'public' })).rooms.map(
          (r) => r.name,
        ),
      ).toEqual(['general']);
      const first = await repairRooms(client, keys, { retention: 20 });
      expect(first).toEqual({
        rooms: 1,
        keysMoved: 12,
        messagesTrimmed: 0,
        messagesRewritten: 3,
        topicsRewritten: 1,
        roomsIndexed: 1,
      });
      expect(
        (await stores.rooms.page('acme', { limit: 10, visibility: 'public' })).rooms.map(
          (r) => r.name,
        ),
      ).toEqual(['general', 'older']);
      const { messages } = await stores.history.page(ref, { limit: 50 });
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      for (const message of messagesOf(messages)) {
        expect(isWellFormed(message.text) && isWellFormed(message.author.name)).toBe(true);
      }
      expect(messagesOf(messages)[2]?.text).toBe('bad \ufffd text');
      expect(messagesOf(messages)[1]?.author.name).toBe('An\ufffda');
      expect((await stores.rooms.get(ref))?.topic).toBe('topic \ufffd');
      expect(await repairRooms(client, keys, { retention: 20 })).toEqual({
        rooms: 1,
        keysMoved: 0,
        messagesTrimmed: 0,
        messagesRewritten: 0,
        topicsRewritten: 0,
        roomsIndexed: 0,
      });
      // Trimming to a smaller retention.
      expect((await repairRooms(client, keys, { retention: RETENTION })).messagesTrimmed).toBe(7);
    } finally {
      await stores.close();
    }
  });

  it("are repaired by `pnpm --filter @parley/server repair` with the nodes' environment", async () => {
    const prefix = uniquePrefix();
    const stores = await openRedisStores(redis.url, {
      prefix,
      limits: { historyRetention: RETENTION },
    });
    try {
      const { ref } = await wedgedRoom(stores, prefix, 'lobby');
      const child = spawn(process.execPath, ['--import', 'tsx', REPAIR], {
        env: {
          ...process.env,
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: prefix,
          HISTORY_RETENTION: String(RETENTION),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (chunk) => {
        output += chunk;
      });
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(JSON.parse(output.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
        msg: 'rooms repaired',
        rooms: 1,
        keysMoved: 12,
        messagesTrimmed: 7,
      });
      expect((await stores.history.page(ref, { limit: 50 })).messages.map((m) => m.seq)).toEqual([
        8, 9, 10, 11, 12,
      ]);
    } finally {
      await stores.close();
    }
  });
});
