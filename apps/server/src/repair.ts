import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import { createRedisConnections } from './stores/redis';
import { redisKeys } from './stores/redis/keys';
import { repairRooms } from './stores/redis/repair';

/**
 * `node dist/repair.js` (`pnpm --filter @parley/server repair`), with the nodes' environment:
 * repairs what older versions could leave in Redis (see stores/redis/repair.ts and
 * docs/security.md). Safe while nodes serve; running it twice changes nothing the second time.
 */
const loaded = loadConfigOrExit();
const { config } = loaded;
if (!config.redis) {
  console.error(
    'Neither REDIS_URL, REDIS_SENTINELS nor REDIS_CLUSTER_NODES is set: the repair is for rooms stored in Redis.',
  );
  process.exit(1);
}
const log = createLogger(config);
const connections = createRedisConnections(config.redis, log);
await connections.open();
try {
  const report = await repairRooms(connections.commands, redisKeys(config.redis.keyPrefix), {
    retention: config.limits.historyRetention,
    primaries: await connections.primaries(),
  });
  log.info(report, 'rooms repaired');
} finally {
  await connections.close();
}
