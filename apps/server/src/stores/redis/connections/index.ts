import type { RedisConfig } from '../../../config';
import type { Logger } from '../../../logger';
import { createClusterConnections } from './cluster';
import { createSentinelConnections } from './sentinel';
import { createStandaloneConnections } from './standalone';
import type { RedisConnections } from './types';

export type { RedisClient, RedisConnections, SubscriberClient } from './types';

/** The node's connections to Redis, as REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES say. */
export function createRedisConnections(config: RedisConfig, log: Logger): RedisConnections {
  const { topology } = config;
  switch (topology.kind) {
    case 'standalone':
      return createStandaloneConnections(topology.url, config, log);
    case 'sentinel':
      return createSentinelConnections(topology, config, log);
    case 'cluster':
      return createClusterConnections(topology, config, log);
  }
}
