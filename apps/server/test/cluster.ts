import type { Environment } from '../src/config';
import { startServer, type TestServer } from './helpers';
import { uniquePrefix } from './redis';

/**
 * Several in-process nodes on one Redis and one key prefix: a cluster as a load balancer would
 * see it. Tokens from any node work on every node (one secret).
 */
export async function startCluster(
  /** A standalone Redis's URL, or the settings that name another topology (REDIS_SENTINELS…). */
  redis: string | Environment,
  count: number,
  overrides: Environment = {},
): Promise<TestServer[]> {
  const prefix = uniquePrefix();
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startServer({
        ...(typeof redis === 'string' ? { REDIS_URL: redis } : redis),
        REDIS_KEY_PREFIX: prefix,
        NODE_ID: `node-${i}`,
        ...overrides,
      }),
    );
  }
  return nodes;
}
