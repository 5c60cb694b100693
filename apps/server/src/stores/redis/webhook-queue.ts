import { defineScript } from '@redis/client';
import type { ClaimedDelivery, WebhookDelivery, WebhookLane, WebhookQueue } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';

interface QueueKeys {
  due: string;
  deliveries: string;
  attempts: string;
}

// Every node judges due times by Redis's clock, so nodes with skewed clocks agree on them.
const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * Adds deliveries due now, unless they would not fit under the capacity (then adds none and
 * answers 0). A delivery id already queued is left as it is.
 *
 * KEYS: due, deliveries, attempts. ARGV: capacity, then id and delivery JSON for each.
 */
export const enqueueWebhooksScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `${NOW_MS}
if redis.call('ZCARD', KEYS[1]) + (#ARGV - 1) / 2 > tonumber(ARGV[1]) then return 0 end
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[1], now, ARGV[i])
  end
end
return 1`,
  parseCommand(parser, keys: QueueKeys, capacity: number, entries: [string, string][]) {
    parser.pushKeys([keys.due, keys.deliveries, keys.attempts]);
    parser.push(String(capacity));
    for (const [id, json] of entries) parser.push(id, json);
  },
  transformReply: (reply: number) => reply,
});

type ClaimReply = [lease: number, claimed: [json: string, attempt: number][], abandoned: string[]];

/**
 * Takes up to `max` due deliveries: counts an attempt for each and pushes its due time to the
 * end of the lease, so a worker that dies holding it only delays it. Deliveries whose attempts
 * were all used up already are removed and answered apart.
 *
 * KEYS: as above. ARGV: max, lease (ms), max attempts.
 * Answers { lease end, { { JSON, attempt }, … }, { abandoned JSON, … } }.
 */
export const claimWebhooksScript = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `${NOW_MS}
local lease = now + tonumber(ARGV[2])
local claimed, abandoned = {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  local json = redis.call('HGET', KEYS[2], id)
  local attempts = tonumber(redis.call('HGET', KEYS[3], id) or '0')
  if not json or attempts >= tonumber(ARGV[3]) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    if json then table.insert(abandoned, json) end
  else
    redis.call('HSET', KEYS[3], id, attempts + 1)
    redis.call('ZADD', KEYS[1], lease, id)
    table.insert(claimed, { json, attempts + 1 })
  end
end
return { lease, claimed, abandoned }`,
  parseCommand(parser, keys: QueueKeys, max: number, leaseMs: number, maxAttempts: number) {
    parser.pushKeys([keys.due, keys.deliveries, keys.attempts]);
    parser.push(String(max), String(Math.ceil(leaseMs)), String(maxAttempts));
  },
  transformReply: (reply: ClaimReply) => reply,
});

/**
 * Makes a claimed delivery due after a delay, if the claim (its lease end) still holds it.
 *
 * KEYS: due. ARGV: id, lease end, delay (ms). Answers 1 when rescheduled.
 */
export const retryWebhookScript = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `${NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1`,
  parseCommand(parser, due: string, id: string, lease: number, delayMs: number) {
    parser.pushKeys([due]);
    parser.push(id, String(lease), String(Math.ceil(delayMs)));
  },
  transformReply: (reply: number) => reply,
});

/** The webhook queue every node shares: any node may send what any node enqueued. */
export function createRedisWebhookQueue(
  client: RedisClient,
  keys: RedisKeys,
  { capacity, lane }: { capacity: number; lane: WebhookLane },
): WebhookQueue {
  const queueKeys: QueueKeys = keys.webhookLane(lane);

  return {
    async enqueue(deliveries) {
      const entries = deliveries.map((d): [string, string] => [d.id, JSON.stringify(d)]);
      return (await client.enqueueWebhooks(queueKeys, capacity, entries)) === 1;
    },

    async claim({ max, leaseMs, maxAttempts }) {
      // node-redis widens a tuple reply to a union of its members' types.
      const [lease, claimed, abandoned] = (await client.claimWebhooks(
        queueKeys,
        max,
        leaseMs,
        maxAttempts,
      )) as unknown as ClaimReply;
      return {
        claimed: claimed.map(
          ([json, attempt]): ClaimedDelivery => ({
            ...(JSON.parse(json) as WebhookDelivery),
            attempt: Number(attempt),
            lease: Number(lease),
          }),
        ),
        abandoned: abandoned.map((json) => JSON.parse(json) as WebhookDelivery),
      };
    },

    async ack(id) {
      await client
        .multi()
        .zRem(queueKeys.due, id)
        .hDel(queueKeys.deliveries, id)
        .hDel(queueKeys.attempts, id)
        .exec();
    },

    async retry({ id, lease }, delayMs) {
      return (await client.retryWebhook(queueKeys.due, id, lease, delayMs)) === 1;
    },

    async size() {
      return client.zCard(queueKeys.due);
    },
  };
}
