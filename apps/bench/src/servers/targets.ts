import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARLEY_MAIN, SERVERS_DIR } from '../paths';
import { childPidsOf, rssBytesOf } from '../proc-stats';
import { freePort, pinToCpus, startProcess, stopProcess, waitForPort } from '../processes';
import { startRedis } from './redis';

export type TargetName =
  | 'ws'
  | 'socketio'
  | 'parley'
  // Parley with METRICS=false, and Parley with /metrics scraped every second while measured:
  // the cost of metrics (issue 14), side by side with `parley`. Only when asked for (--targets).
  | 'parley-no-metrics'
  | 'parley-scraped'
  // Parley from another build (--baseline-main): the same node before a change, side by side.
  | 'parley-baseline'
  | 'parley-redis'
  // One Parley process over Redis, and one host's PARLEY_WORKERS=2 (a primary handing
  // connections to two worker processes) over Redis: what every core costs (issue 15).
  | 'parley-redis-1'
  // The same from the build given with --baseline-main: a change over Redis, side by side.
  | 'parley-redis-1-baseline'
  | 'parley-workers'
  // Two nodes over a Redis with a replica, acknowledging without and with `WAIT 1`
  // (replicated-acks scenario only: not among --targets).
  | 'parley-redis-replica'
  | 'parley-redis-wait';

export interface MemoryReading {
  /** VmRSS after a forced full GC. */
  rssBytes: number;
  heapUsedBytes: number;
}

export interface RunningTarget {
  name: TargetName;
  /** One base URL per node; clients are spread over them. */
  urls: string[];
  /** The (primary) Redis the nodes share, for targets over Redis. */
  redisUrl?: string;
  /** Every process doing server work (nodes and Redis), for CPU accounting. */
  pids(): number[];
  /** Memory of the first node after a forced GC. */
  memory(): Promise<MemoryReading>;
  /** Every server process together, each node after a forced GC: RSS of nodes and Redis, V8 heap of the nodes. */
  memoryOfAll(): Promise<MemoryReading>;
  /** Starts V8's CPU profiler in the first node; the returned function stops it and writes the file. */
  profile(): Promise<(path: string) => Promise<void>>;
  /** Why a server process is gone, if one died while in use (its log says more). */
  failure(): string | undefined;
  /**
   * Ends every node process with `signal` and starts each again on the same port, with the same
   * settings (and the same Redis, which keeps running): a restart, as a crash or a deploy does.
   * Resolves once every node listens again (and, for Parley, answers /readyz).
   */
  restart?(signal: RestartSignal): Promise<RestartTimes>;
  stop(): Promise<void>;
}

export type RestartSignal = 'SIGKILL' | 'SIGTERM';

/** Epoch milliseconds (`performance.timeOrigin + performance.now()`) of a restart's steps. */
export interface RestartTimes {
  /** The signal sent to every node. */
  signalledAt: number;
  /** The last node exited. */
  exitedAt: number;
  /** Every new node accepts TCP connections on its port. */
  listeningAt: number;
  /** Every new node answers /readyz (Parley), or `listeningAt` (bare servers). */
  readyAt: number;
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface StartOptions {
  logDir: string;
  authSecret: string;
  /** Pin every server process (nodes and Redis) to these CPUs. */
  cpus?: string;
  /** The `main.js` the `parley-baseline` target runs (another build of apps/server). */
  baselineMain?: string;
  /** PARLEY_WORKERS of the `parley-workers` target (2). */
  parleyWorkers?: number;
  /** On top of every Parley node's settings, the target's own included (`--parley-env`). */
  parleyEnv?: Record<string, string>;
}

export const TARGET_LABELS: Record<TargetName, string> = {
  ws: 'ws ceiling',
  socketio: 'bare Socket.IO',
  parley: 'Parley',
  'parley-no-metrics': 'Parley, METRICS=false',
  'parley-scraped': 'Parley, /metrics scraped every 1 s',
  'parley-baseline': 'Parley, baseline build',
  'parley-redis': 'Parley ×2 + Redis',
  'parley-redis-1': 'Parley ×1 + Redis',
  'parley-redis-1-baseline': 'Parley ×1 + Redis, baseline build',
  'parley-workers': 'Parley, PARLEY_WORKERS=2 + Redis',
  'parley-redis-replica': 'Parley ×2 + Redis and replica, no WAIT',
  'parley-redis-wait': 'Parley ×2 + Redis and replica, WAIT 1',
};

/**
 * Parley's limits, turned off or raised far above what any scenario offers. The bench measures
 * how fast Parley is, not its guards: the load generator is one machine (eight loopback
 * addresses) holding thousands of connections, a fan-out sender puts up to ~2 000 messages/s
 * into one room, big-workspace makes 100 000 rooms in one workspace, and every bench user
 * sends far more than a person may. With the defaults, the flood guards and budgets would refuse
 * or cut off the load, and a run would measure refusals.
 */
const UNLIMITED = {
  // Per user in a room, and per room for everyone.
  RATE_MESSAGES_PER_SECOND: '1000000',
  RATE_MESSAGES_BURST: '1000000',
  RATE_ROOM_MESSAGES_PER_SECOND: '1000000',
  RATE_ROOM_MESSAGES_BURST: '1000000',
  // Per connection: the flood guard. Rooms per connection stay at the default (100): the
  // big-workspace room makers keep within it, as any client must.
  RATE_EVENTS_PER_SECOND: '1000000',
  RATE_EVENTS_BURST: '1000000',
  // Room creation: per user, per workspace, and how many a workspace holds; rooms never expire
  // mid-run (0: never).
  RATE_ROOM_CREATES_PER_MINUTE: '100000000',
  RATE_ROOM_CREATES_BURST: '100000000',
  RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE: '100000000',
  RATE_WORKSPACE_ROOM_CREATES_BURST: '100000000',
  MAX_ROOMS_PER_WORKSPACE: '100000000',
  ROOM_IDLE_TTL_SECONDS: '0',
  // Per client address: every bench connection comes from 127.0.0.x, so the limits are set out
  // of reach, not off — each connection is still counted, and that cost is measured. ORIGIN_CHECK
  // stays on: the generator is no browser and sends no Origin, which the check lets through.
  RATE_CONNECTIONS_PER_SECOND: '100000000',
  RATE_CONNECTIONS_BURST: '100000000',
  MAX_CONNECTIONS_PER_ADDRESS: '100000000',
  RATE_GUEST_TOKENS_PER_MINUTE: '0',
  RATE_GUEST_TOKENS_BURST: '0',
  // A receiver of the generator may fall a few seconds behind at saturation without being
  // dropped as a slow reader: the saturation search stops by itself once p99 passes 1 s.
  MAX_BUFFERED_BYTES: String(64 * 2 ** 20),
};

/**
 * A Parley node stops at once, and a client that leaves is gone at once. In production a node
 * first drains for 5 s (load balancers notice it is unready) and a dropped connection counts as
 * present for 3 s (a reload is no departure), and a stop waits for those graces: every stop of
 * a target took 5–8 s, and each window's departed clients were announced gone during the next
 * window, or taken for the same users returning in it. No scenario measures either.
 */
const IMMEDIATE = { SHUTDOWN_DRAIN_MS: '0', PRESENCE_GRACE_MS: '0' };

/** How often the `parley-scraped` target's /metrics is fetched, as a Prometheus would. */
export const SCRAPE_INTERVAL_MS = 1000;

interface NodeServer {
  child: ChildProcess;
  url: string;
  /** Set when the process ended without being asked to. */
  died?: string;
  /** Ends the process with `signal`, then starts it again on the same port (`child` is the new one). */
  restart(signal: RestartSignal): Promise<{ exitedAt: number; listeningAt: number }>;
}

function failureOf(servers: NodeServer[]): string | undefined {
  return servers.find((server) => server.died)?.died;
}

let requestIds = 0;

/** One request to a server's probe-preload.mjs over IPC, answered by id. */
function askServer<T>(
  child: ChildProcess,
  request: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<T> {
  const id = ++requestIds;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${String(request.type)} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(message: { id?: number; error?: string }) {
      if (message.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      if (message.error) reject(new Error(message.error));
      else resolve(message as T);
    }
    child.on('message', onMessage);
    child.send({ ...request, id });
  });
}

/** Asks a server to collect garbage and report its memory. */
async function readMemory(child: ChildProcess): Promise<MemoryReading> {
  const { usage } = await askServer<{ usage: NodeJS.MemoryUsage }>(child, { type: 'memory' });
  // VmRSS read from outside, right after the collection, as the process would be seen by `ps`.
  return { rssBytes: rssBytesOf(child.pid ?? 0) || usage.rss, heapUsedBytes: usage.heapUsed };
}

/**
 * A process and the processes it forked (a PARLEY_WORKERS primary's workers), each after a
 * forced GC, added up. A worker answers SIGUSR2 by writing its memoryUsage() to a file
 * (probe-preload.mjs): it has no channel to the harness.
 */
async function readTreeMemory(child: ChildProcess): Promise<MemoryReading> {
  const total = { ...(await readMemory(child)) };
  for (const pid of childPidsOf(child.pid ?? 0)) {
    const file = join(tmpdir(), `parley-bench-memory-${pid}.json`);
    rmSync(file, { force: true });
    process.kill(pid, 'SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`worker ${pid} did not report its memory`);
      await sleep(20);
    }
    const usage = JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage;
    rmSync(file, { force: true });
    total.rssBytes += rssBytesOf(pid) || usage.rss;
    total.heapUsedBytes += usage.heapUsed;
  }
  return total;
}

/**
 * Pins a running process and then the processes it forked (a PARLEY_WORKERS primary's workers):
 * one forked after the first pin inherits it, one forked before is among the children listed.
 */
function pinTree(pid: number | undefined, cpus: string | undefined): void {
  if (!pid || !cpus) return;
  pinToCpus(pid, cpus);
  for (const child of childPidsOf(pid)) pinTree(child, cpus);
}

/** Profiles a server's CPU (V8's profiler, in process) until the returned stop is called. */
async function startProfile(child: ChildProcess): Promise<(path: string) => Promise<void>> {
  await askServer(child, { type: 'profile-start' });
  return async (path) => {
    await askServer(child, { type: 'profile-stop', path }, 60_000);
  };
}

async function startNodeServer(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  options: StartOptions,
  port: number,
): Promise<NodeServer> {
  const log = openSync(join(options.logDir, `${name}.log`), 'a');
  const flags = ['--expose-gc', '--import', join(SERVERS_DIR, 'probe-preload.mjs')];
  const spawnServer = async ({
    pinFromBirth,
    timeoutMs,
  }: {
    pinFromBirth: boolean;
    timeoutMs?: number;
  }): Promise<ChildProcess> => {
    const child = startProcess(process.execPath, [...flags, script, ...args], {
      stdio: ['ignore', log, log, 'ipc'],
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    if (pinFromBirth) pinToCpus(child.pid, options.cpus);
    await waitForPort('127.0.0.1', port, child, timeoutMs);
    if (!pinFromBirth) pinTree(child.pid, options.cpus);
    return child;
  };
  const watch = (child: ChildProcess) => {
    child.once('exit', (code, signal) => {
      // SIGTERM is how the harness stops servers (SIGKILL how it crashes them); anything else
      // is a crash.
      if (signal !== 'SIGTERM' && signal !== 'SIGKILL' && code !== 0) {
        server.died = `${name} exited (${signal ?? code}); see ${name}.log`;
      }
    });
  };
  const server: NodeServer = {
    // A first start is not measured: it boots (a second of CPU per Parley node) on any core
    // and moves to the servers' CPUs once it listens, instead of queueing every node's boot on
    // one core. A restart is measured (the reconnect storm): it boots where it will run.
    child: await spawnServer({ pinFromBirth: false }),
    url: `http://127.0.0.1:${port}`,
    async restart(signal) {
      const old = server.child;
      if (old.exitCode === null && old.signalCode === null) {
        const exited = once(old, 'exit');
        old.kill(signal);
        // A graceful stop that hangs is killed after 30 s: a restart must end.
        const stopped = await Promise.race([
          exited.then(() => true),
          sleep(30_000).then(() => false),
        ]);
        if (!stopped) {
          old.kill('SIGKILL');
          await exited;
        }
      }
      const exitedAt = epochMs();
      // A restarted Parley node first cleans up what its previous process left in Redis (every
      // connection it held), before it listens: that may take a while.
      server.child = await spawnServer({ pinFromBirth: true, timeoutMs: 120_000 });
      watch(server.child);
      return { exitedAt, listeningAt: epochMs() };
    },
  };
  watch(server.child);
  return server;
}

/** Restarts every node at once (see `RunningTarget.restart`); `ready` waits for /readyz. */
async function restartNodes(
  nodes: NodeServer[],
  signal: RestartSignal,
  ready: boolean,
): Promise<RestartTimes> {
  const signalledAt = epochMs();
  const steps = await Promise.all(nodes.map((node) => node.restart(signal)));
  const listeningAt = Math.max(...steps.map((step) => step.listeningAt));
  if (ready) await Promise.all(nodes.map((node) => waitUntilReady(node, 30_000, 10)));
  return {
    signalledAt,
    exitedAt: Math.max(...steps.map((step) => step.exitedAt)),
    listeningAt,
    readyAt: ready ? epochMs() : listeningAt,
  };
}

async function startBareServer(
  name: TargetName,
  script: string,
  options: StartOptions,
): Promise<RunningTarget> {
  const port = await freePort();
  const server = await startNodeServer(
    name,
    join(SERVERS_DIR, script),
    [String(port)],
    {},
    options,
    port,
  );
  return {
    name,
    urls: [server.url],
    pids: () => [server.child.pid ?? 0],
    memory: () => readMemory(server.child),
    memoryOfAll: () => readMemory(server.child),
    profile: () => startProfile(server.child),
    failure: () => failureOf([server]),
    restart: (signal) => restartNodes([server], signal, false),
    stop: () => stopProcess(server.child),
  };
}

async function startParleyNode(
  name: string,
  options: StartOptions,
  extraEnv: Record<string, string>,
  main = PARLEY_MAIN,
): Promise<NodeServer> {
  const port = await freePort();
  return startNodeServer(
    name,
    main,
    [],
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      PARLEY_AUTH_SECRET: options.authSecret,
      CORS_ORIGINS: 'http://127.0.0.1',
      ...UNLIMITED,
      ...IMMEDIATE,
      ...extraEnv,
      ...options.parleyEnv,
    },
    options,
    port,
  );
}

export async function startTarget(name: TargetName, options: StartOptions): Promise<RunningTarget> {
  switch (name) {
    case 'ws':
      return startBareServer(name, 'bare-ws.mjs', options);
    case 'socketio':
      return startBareServer(name, 'bare-socketio.mjs', options);
    case 'parley':
      return startSingleParley(name, options, {});
    case 'parley-no-metrics':
      // No /metrics route and no Node process metrics (event-loop delay, GC observers). The
      // counters on the paths clients drive are kept either way (the heartbeat reads them).
      return startSingleParley(name, options, { METRICS: 'false' });
    case 'parley-baseline':
      if (!options.baselineMain) throw new Error('parley-baseline needs --baseline-main PATH');
      return startSingleParley(name, options, {}, options.baselineMain);
    case 'parley-scraped': {
      const target = await startSingleParley(name, options, {});
      return scrapedEverySecond(target);
    }
    case 'parley-redis':
      return startParleyOverRedis(name, options, {});
    case 'parley-redis-1':
      return startParleyOverRedis(name, options, { nodeIds: ['a'] });
    case 'parley-redis-1-baseline':
      if (!options.baselineMain) throw new Error(`${name} needs --baseline-main PATH`);
      return startParleyOverRedis(name, options, { nodeIds: ['a'], main: options.baselineMain });
    case 'parley-workers':
      return startParleyOverRedis(name, options, {
        nodeIds: ['a'],
        env: { PARLEY_WORKERS: String(options.parleyWorkers ?? 2) },
        withChildren: true,
      });
    case 'parley-redis-replica':
      return startParleyOverRedis(name, options, { replica: true });
    case 'parley-redis-wait':
      // WAIT 1 after every append and edit, on the command connection; its timeout stays the
      // default (half of REDIS_COMMAND_TIMEOUT_MS).
      return startParleyOverRedis(name, options, { replica: true, waitReplicas: 1 });
  }
}

/** One Parley node, in memory; `env` on top of the bench's settings. */
async function startSingleParley(
  name: TargetName,
  options: StartOptions,
  env: Record<string, string>,
  main?: string,
): Promise<RunningTarget> {
  const node = await startParleyNode(name, options, env, main);
  return {
    name,
    urls: [node.url],
    pids: () => [node.child.pid ?? 0],
    memory: () => readMemory(node.child),
    memoryOfAll: () => readMemory(node.child),
    profile: () => startProfile(node.child),
    failure: () => failureOf([node]),
    restart: (signal) => restartNodes([node], signal, true),
    stop: () => stopProcess(node.child, 12_000),
  };
}

/**
 * Fetches the target's /metrics every `SCRAPE_INTERVAL_MS` from start to stop, over one
 * keep-alive connection, reading each answer whole: a Prometheus scraping the node throughout
 * every measured window. A scrape that is not answered 200 makes the target fail.
 */
function scrapedEverySecond(target: RunningTarget): RunningTarget {
  const url = `${target.urls[0]}/metrics`;
  let scrapeFailure: string | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const scrape = async () => {
    try {
      const response = await fetch(url);
      const body = await response.text();
      if (response.status !== 200 || !body.includes('parley_'))
        scrapeFailure = `GET /metrics answered ${response.status}`;
    } catch (error) {
      scrapeFailure ??= `GET /metrics failed: ${(error as Error).message}`;
    }
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(scrape);
  }, SCRAPE_INTERVAL_MS);
  return {
    ...target,
    failure: () => target.failure() ?? (scrapeFailure && `parley-scraped: ${scrapeFailure}`),
    async stop() {
      clearInterval(timer);
      await inFlight;
      await target.stop();
    },
  };
}

/**
 * Parley nodes (two unless `nodeIds` says otherwise) over one private Redis, and with `replica`
 * a replica of it (in sync before the nodes start); `waitReplicas` sets REDIS_WAIT_REPLICAS. The
 * replica counts as a server process: its CPU and memory are in the figures with the rest. With
 * `withChildren`, each node's child processes (PARLEY_WORKERS' workers) count as server
 * processes too, for CPU.
 */
async function startParleyOverRedis(
  name: TargetName,
  options: StartOptions,
  {
    replica = false,
    waitReplicas,
    nodeIds = ['a', 'b'],
    env = {},
    withChildren = false,
    main,
  }: {
    replica?: boolean;
    waitReplicas?: number;
    nodeIds?: string[];
    env?: Record<string, string>;
    withChildren?: boolean;
    /** Another build's main.js (a baseline target). */
    main?: string;
  },
): Promise<RunningTarget> {
  const redis = await startRedis({ replica });
  const redisPids = () => [
    redis.process.pid ?? 0,
    ...(redis.replica ? [redis.replica.pid ?? 0] : []),
  ];
  for (const pid of redisPids()) pinToCpus(pid, options.cpus);
  const nodes = await Promise.all(
    nodeIds.map((id) =>
      startParleyNode(
        `${name}-${id}`,
        options,
        {
          REDIS_URL: redis.url,
          NODE_ID: `bench-${id}`,
          ...(waitReplicas !== undefined && { REDIS_WAIT_REPLICAS: String(waitReplicas) }),
          ...env,
        },
        main,
      ),
    ),
  ).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  await Promise.all(nodes.map((node) => waitUntilReady(node)));
  return {
    name,
    urls: nodes.map((node) => node.url),
    redisUrl: redis.url,
    pids: () => [
      ...nodes.flatMap((node) => {
        const pid = node.child.pid ?? 0;
        return withChildren ? [pid, ...childPidsOf(pid)] : [pid];
      }),
      ...redisPids(),
    ],
    // A PARLEY_WORKERS node is its primary and workers, and the Redis holding their presence.
    memory: withChildren
      ? async () => {
          const node = await readTreeMemory((nodes[0] as NodeServer).child);
          const redisRss = redisPids().reduce((total, pid) => total + rssBytesOf(pid), 0);
          return { rssBytes: node.rssBytes + redisRss, heapUsedBytes: node.heapUsedBytes };
        }
      : () => readMemory((nodes[0] as NodeServer).child),
    async memoryOfAll() {
      const readings = await Promise.all(nodes.map((node) => readMemory(node.child)));
      return readings.reduce(
        (total, reading) => ({
          rssBytes: total.rssBytes + reading.rssBytes,
          heapUsedBytes: total.heapUsedBytes + reading.heapUsedBytes,
        }),
        {
          rssBytes: redisPids().reduce((total, pid) => total + rssBytesOf(pid), 0),
          heapUsedBytes: 0,
        },
      );
    },
    profile: () => startProfile((nodes[0] as NodeServer).child),
    failure: () => {
      if (redis.process.exitCode !== null) return 'redis-server exited';
      if (redis.replica && redis.replica.exitCode !== null) return 'the Redis replica exited';
      return failureOf(nodes);
    },
    restart: (signal) => restartNodes(nodes, signal, true),
    async stop() {
      await Promise.all(nodes.map((node) => stopProcess(node.child, 12_000)));
      await redis.stop();
    },
  };
}

/** Parley answers /readyz once its stores (Redis) answer. */
async function waitUntilReady(node: NodeServer, timeoutMs = 15_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await fetch(`${node.url}/readyz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return;
    if (node.child.exitCode !== null) break;
    await sleep(pollMs);
  }
  throw new Error(`${node.url} was not ready within ${timeoutMs} ms`);
}
