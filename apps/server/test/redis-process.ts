import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';

export interface RedisNode {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One redis-server process that can be killed and started again with the same arguments. */
export interface RedisProcess {
  port: number;
  readonly alive: boolean;
  start(): Promise<void>;
  /** SIGKILL, and waits for the process to be gone (its port free again). */
  kill(): Promise<void>;
  /** Sends a signal to the running process (SIGSTOP pauses it, SIGCONT lets it go on). */
  signal(name: NodeJS.Signals): void;
}

export function redisProcess(port: number, args: string[]): RedisProcess {
  let child: ChildProcess | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    port,
    get alive() {
      return alive();
    },
    async start() {
      if (alive()) throw new Error(`redis-server on ${port} is already running`);
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
      await waitFor(`redis-server on ${port} to answer PING`, 10_000, async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        return (await command({ host: HOST, port }, ['PING'])) === 'PONG';
      });
    },
    signal(name) {
      if (!alive()) throw new Error(`redis-server on ${port} is not running (${name})`);
      child?.kill(name);
    },
    async kill() {
      const current = child;
      // A paused process is killed all the same, but let it run so it can exit at once.
      if (current && current.exitCode === null) current.kill('SIGCONT');
      child = undefined;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * One command on a connection of its own; undefined when the node does not answer (down,
 * starting, or not listening yet). A connection per command: the nodes come and go.
 */
/** How long `command` waits for a node's answer before taking it for not there. */
const COMMAND_ANSWER_MS = 2000;

export async function command(node: RedisNode, args: string[]): Promise<unknown> {
  const client = createClient({
    socket: { host: node.host, port: node.port, reconnectStrategy: false, connectTimeout: 500 },
  });
  // A refused connection is the answer "not there", not an error to report.
  client.on('error', () => {});
  // A node that took the connection but never answers (busy, or stopped) is "not there" too,
  // after a while: a poll that asks it must go on, not hang.
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), COMMAND_ANSWER_MS);
  });
  try {
    return await Promise.race([
      (async () => {
        await client.connect();
        return await client.sendCommand(args);
      })(),
      silent,
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    if (client.isOpen) client.destroy();
  }
}

/** Polls `check` until it answers true; throws, naming what was awaited, after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A port the OS says is free on loopback now. */
/**
 * A run of `count` consecutive ports that were all free a moment ago (a server that takes a base
 * port and the ones after it, as PARLEY_WORKERS does with METRICS_PORT).
 */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count - 1 > 65_535) continue;
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, i) => portIsFree(base + 1 + i)),
    );
    if (rest.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

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
