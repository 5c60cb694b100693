import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
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

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: answers whether a Redis answered PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitForPing(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${log()}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer PING within 10 s: ${log()}`);
}

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
  let child: ChildProcess | undefined;

  const launch = async () => {
    let output = '';
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    started.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    running.add(started);
    started.once('exit', () => running.delete(started));
    child = started;
    await waitForPing(port, started, () => output);
  };

  const signal = (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) throw new Error(`redis-server is not running (${name})`);
    child.kill(name);
  };
  // A test that fails while Redis is paused must not leave it stopped for the next one.
  const resume = () => {
    if (child && child.exitCode === null) child.kill('SIGCONT');
  };

  const kill = async () => {
    const current = child;
    // A paused process is killed all the same, but let it run so it can exit at once.
    current?.kill('SIGCONT');
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    pause: () => signal('SIGSTOP'),
    resume,
    async stop() {
      await kill();
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
    { keyPrefix: prefix, nodeId, presenceTtlMs: presenceTtlSeconds * 1000, limits },
    log,
  );
  await stores.open();
  return Object.assign(stores, { connections });
}
