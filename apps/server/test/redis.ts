import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { RedisTopology } from '../src/config';
import {
  createRedisConnections,
  createRedisStores,
  type RedisConnections,
} from '../src/stores/redis';
import type { Stores } from '../src/stores/types';
import { freePort, redisProcess } from './redis-process';

/**
 * A real redis-server of the test's own, on a free loopback port (never the machine's 6379),
 * that a test can kill with SIGKILL and start again on the same port.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** SIGKILL: no goodbye to clients, exactly like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and the same data directory, when persistent). */
  restart(): Promise<void>;
  /**
   * SIGSTOP: the process stops answering but keeps its connections open, as behind a network
   * partition that sends no reset. `resume()` (SIGCONT) lets it carry on where it was.
   */
  pause(): void;
  resume(): void;
  /** Kills it and removes its files. */
  stop(): Promise<void>;
}

export { freePort } from './redis-process';

/**
 * Starts redis-server. `persistent`: an append-only file synced on every write, as production
 * should run it, so a killed and restarted Redis keeps every acknowledged write.
 */
export async function startRedis({
  persistent = false,
  replicaOf,
}: {
  persistent?: boolean;
  /** The port of a master on loopback: this one replicates it. */
  replicaOf?: number;
} = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
  ];
  const server = redisProcess(port, args);

  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => server.kill(),
    restart: () => server.start(),
    pause: () => server.signal('SIGSTOP'),
    // A test that fails while Redis is paused must not leave it stopped for the next one.
    resume: () => {
      if (server.alive) server.signal('SIGCONT');
    },
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let prefixes = 0;
/** A key prefix no other test uses, so tests sharing one Redis never see each other's keys. */
export function uniquePrefix(): string {
  return `t${process.pid}-${++prefixes}-${Date.now().toString(36)}:`;
}

export interface RedisStoreOptions {
  prefix?: string;
  nodeId?: string;
  presenceTtlSeconds?: number;
  /** How long a restarted node's leftover users have to come back (server.ts derives it). */
  leftoverGraceMs?: number;
  commandTimeoutMs?: number;
  limits?: { historyRetention: number };
}

/** Redis stores as one node would build them, opened; `close()` closes their connections. */
export async function openRedisStores(
  /** A standalone Redis's URL, or any topology. */
  where: string | RedisTopology,
  {
    prefix = uniquePrefix(),
    nodeId = `node-${randomUUID().slice(0, 8)}`,
    presenceTtlSeconds = 30,
    leftoverGraceMs = 0,
    commandTimeoutMs = 1000,
    limits = { historyRetention: 100 },
  }: RedisStoreOptions = {},
): Promise<Stores & { connections: RedisConnections }> {
  const log = pino({ level: 'silent' });
  const connections = createRedisConnections(
    {
      topology: typeof where === 'string' ? { kind: 'standalone', url: where } : where,
      keyPrefix: prefix,
      shardedPubSub: typeof where !== 'string' && where.kind === 'cluster',
      commandTimeoutMs,
    },
    log,
  );
  const stores = createRedisStores(
    connections,
    {
      keyPrefix: prefix,
      nodeId,
      presenceTtlMs: presenceTtlSeconds * 1000,
      leftoverGraceMs,
      limits,
    },
    log,
  );
  await stores.open();
  return Object.assign(stores, { connections });
}
