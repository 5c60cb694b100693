import type { NodeReport, NodeReportStore } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';

/** More nodes than any cluster runs: a bound on what one read costs, whatever is in Redis. */
const MAX_NODES = 1000;

/**
 * Each node's report is one key under its own hash tag (`{node:<id>}:report`), expiring with its
 * TTL; a small sorted set of node ids scored by when their report lapses says which keys to read,
 * so reading never scans. Lapsed ids are pruned by every write and skipped by every read.
 */
export function createRedisNodeReportStore(client: RedisClient, keys: RedisKeys): NodeReportStore {
  const prune = (now: number) => client.zRemRangeByScore(keys.nodeReports, '-inf', now);
  return {
    async report(report, ttlMs) {
      const now = Date.now();
      await client.set(keys.nodeReport(report.id), JSON.stringify(report), { PX: ttlMs });
      await client.zAdd(keys.nodeReports, { score: now + ttlMs, value: report.id });
      await prune(now);
    },
    async all() {
      const ids = await client.zRangeByScore(keys.nodeReports, `(${Date.now()}`, '+inf', {
        LIMIT: { offset: 0, count: MAX_NODES },
      });
      // One GET per node: the keys live in different slots of a Redis Cluster.
      const reports = await Promise.all(ids.map((id) => client.get(keys.nodeReport(id))));
      return reports.flatMap((json) => (json ? [JSON.parse(json) as NodeReport] : []));
    },
    async forget(id) {
      await client.del(keys.nodeReport(id));
      await client.zRem(keys.nodeReports, id);
    },
  };
}
