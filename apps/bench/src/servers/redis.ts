import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMicros, newLatencyHistogram } from '../latency';
import { freePort, startProcess, stopProcess, waitForPort } from '../processes';

export interface RunningRedis {
  url: string;
  process: ChildProcess;
  /** The replica (`--replicaof` the first), when one was asked for: in sync when started. */
  replica?: ChildProcess;
  stop(): Promise<void>;
}

/** Nothing kept on disk: a throwaway store. */
const EPHEMERAL = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/**
 * A private, throwaway Redis on a free loopback port: never the machine's own on 6379. With
 * `replica`, a second redis-server replicates it, and this answers once the primary counts the
 * replica online (`INFO replication`: `slave0:…,state=online`), so a `WAIT 1` can be met.
 */
export async function startRedis({ replica = false } = {}): Promise<RunningRedis> {
  const port = await freePort();
  // The first sync of a replica waits 5 s by default (diskless sync gathers replicas first).
  const replication = replica
    ? ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']
    : [];
  const redis = startProcess(
    'redis-server',
    ['--port', String(port), ...EPHEMERAL, ...replication],
    { stdio: 'ignore' },
  );
  await waitForPort('127.0.0.1', port, redis);
  if (!replica) {
    return {
      url: `redis://127.0.0.1:${port}`,
      process: redis,
      stop: () => stopProcess(redis),
    };
  }
  const replicaPort = await freePort();
  // The replica takes its first sync straight from the socket into its empty dataset; were it
  // to write the RDB file anyway, it would land in this throwaway folder.
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-replica-'));
  const follower = startProcess(
    'redis-server',
    [
      '--port',
      String(replicaPort),
      ...EPHEMERAL,
      '--dir',
      dir,
      '--repl-diskless-load',
      'on-empty-db',
      '--replicaof',
      '127.0.0.1',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    await stopProcess(follower);
    await stopProcess(redis);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort('127.0.0.1', replicaPort, follower);
    await waitForReplicaOnline(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, process: redis, replica: follower, stop };
}

/** Polls the primary's `INFO replication` until its first replica is online (in sync). */
async function waitForReplicaOnline(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await info(port, 'replication').catch((error: Error) => error.message);
    if (/^slave0:.*state=online/m.test(last)) return;
    await sleep(50);
  }
  throw new Error(
    `the Redis replica was not in sync within ${timeoutMs} ms: ${last.replace(/\r?\n/g, ' ')}`,
  );
}

/** One `INFO <section>` over RESP: the bench has no Redis client of its own. */
export function info(port: number, section: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => finish(new Error(`INFO ${section}: no answer`)), timeoutMs);
    let received = Buffer.alloc(0);
    const finish = (result: string | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (typeof result === 'string') resolve(result);
      else reject(result);
    };
    socket.once('error', finish);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // A bulk string: `$<length>\r\n<bytes>\r\n`; an error: `-<message>\r\n`.
      const headerEnd = received.indexOf('\r\n');
      if (headerEnd < 0) return;
      const header = received.subarray(0, headerEnd).toString();
      if (!header.startsWith('$')) return finish(new Error(`INFO ${section}: ${header}`));
      const length = Number(header.slice(1));
      const start = headerEnd + 2;
      if (received.length >= start + length)
        finish(received.subarray(start, start + length).toString());
    });
    socket.write(resp('INFO', section));
  });
}

/** Round trips in microseconds (LatencySummary's 10 µs steps are too coarse here). */
export interface RoundTripMicros {
  samples: number;
  p50: number;
  p99: number;
}

export interface ReplicaRoundTrip {
  /** `SET` then `WAIT 1 <timeout>`, pipelined, from sending to the second reply. */
  setAndWait: RoundTripMicros;
  /** `SET` then `PING`, the same way: the round trip without the replica. */
  setAndPing: RoundTripMicros;
  /** WAITs that answered 0: the replica had not acknowledged within the timeout. */
  unacknowledged: number;
}

/** A command in RESP, as redis-cli would send it. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

const SET = resp('SET', 'parley-bench:wait-probe', '1');
const PING = resp('PING');

/**
 * What `WAIT 1` costs Redis alone, with nothing else running: a write followed by WAIT against
 * a write followed by PING, one pair at a time on one connection, in alternating blocks. The
 * difference is one round trip to the replica (REPLCONF GETACK → ACK).
 */
export async function measureReplicaRoundTrip(
  url: string,
  { pairs = 2000, timeoutMs = 500 } = {},
): Promise<ReplicaRoundTrip> {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Both replies of a pair are one line each (+OK, then :<replicas> or +PONG).
  let received = '';
  let answered: ((lines: string[]) => void) | undefined;
  socket.on('data', (chunk) => {
    received += chunk.toString();
    const lines = received.split('\r\n');
    if (lines.length < 3 || !answered) return;
    received = '';
    answered(lines.slice(0, 2));
  });
  const pair = (second: string) =>
    new Promise<string[]>((resolve) => {
      answered = resolve;
      socket.write(SET + second);
    });
  const histograms = { setAndWait: newLatencyHistogram(), setAndPing: newLatencyHistogram() };
  const wait = resp('WAIT', '1', String(timeoutMs));
  let unacknowledged = 0;
  try {
    const blocks = 10;
    for (let block = 0; block < blocks; block++) {
      for (const kind of ['setAndPing', 'setAndWait'] as const) {
        for (let i = 0; i < pairs / blocks; i++) {
          const startedAt = monotonicMicros();
          const [, second] = await pair(kind === 'setAndWait' ? wait : PING);
          histograms[kind].recordValue(Math.max(1, monotonicMicros() - startedAt));
          if (second?.startsWith('-')) throw new Error(`Redis answered ${second}`);
          if (kind === 'setAndWait' && second === ':0' && ++unacknowledged >= 10)
            throw new Error(`the replica did not acknowledge ${unacknowledged} WAITs in time`);
        }
      }
    }
  } finally {
    socket.destroy();
  }
  const micros = (histogram: typeof histograms.setAndWait): RoundTripMicros => ({
    samples: histogram.totalCount,
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
  });
  return {
    setAndWait: micros(histograms.setAndWait),
    setAndPing: micros(histograms.setAndPing),
    unacknowledged,
  };
}
