import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeEncoded } from '../latency';
import { pinToCpus, stopProcess, track } from '../processes';
import type { ChurnPlan } from './churn';
import type {
  ChurnReport,
  ConnectReport,
  CreateRoomsReport,
  ListKindReport,
  ListQuery,
  StatsReport,
  StormConnectReport,
  StormReport,
  StormSeedReport,
  WorkerCommand,
  WorkerReply,
} from './commands';
import type { ClientSpec } from './raw-socketio';
import type { StormClientSpec } from './storm';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Resolved here, so the workers start whatever the current directory is. */
const TSX = import.meta.resolve('tsx');

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };
/** A command before the pool numbers it. */
type CommandBody = WorkerCommand extends infer C
  ? C extends WorkerCommand
    ? Omit<C, 'id'>
    : never
  : never;

class Worker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(readonly process: ChildProcess) {
    process.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiting.reject(new Error(`load generator: ${reply.message}`));
      else waiting.resolve(reply);
    });
    process.once('exit', (code) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`load generator exited (${code})`));
      }
      this.pending.clear();
    });
  }

  ask(body: CommandBody, timeoutMs = 120_000): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator did not answer "${body.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ ...body, id } as WorkerCommand);
    });
  }
}

export interface PoolConnectResult {
  connected: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** Per-client connect+join durations, merged across processes. */
  durations: ReturnType<typeof mergeEncoded>;
}

type Histogram = ReturnType<typeof mergeEncoded>;

export interface PoolStats
  extends Omit<StatsReport, 'latency' | 'ackLatency' | 'lists' | 'events' | 'churn'> {
  latency: Histogram;
  ackLatency: Histogram;
  /** Per kind of `room:list` query, every process together. */
  lists: Map<string, Omit<ListKindReport, 'latency' | 'kind'> & { latency: Histogram }>;
  /** Event packets by name, every process together (clients with `countEvents`). */
  events: Record<string, number>;
  churn: ChurnReport;
}

/**
 * The load generator: several processes, so that receiving is spread over cores and the
 * generator is less likely to be what limits a result. Its CPU is measured and reported.
 */
export class ClientPool {
  private constructor(private readonly workers: Worker[]) {}

  static start(size: number, authSecret: string, cpus?: string): ClientPool {
    const workers = Array.from({ length: size }, () => {
      const child = fork(WORKER_SCRIPT, [], {
        execArgv: ['--import', TSX],
        env: { ...process.env, BENCH_AUTH_SECRET: authSecret },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const worker = new Worker(track(child));
      // Each process boots (loading TypeScript through tsx, a second of CPU) on any core and
      // moves to the generator's CPUs once it answers: pinned from birth, the boots would queue
      // on the generator's one core while the server's core idles. Connecting clients comes
      // first in every scenario: measured work never runs unpinned.
      worker.ask({ type: 'stats', resetLatency: false }).then(
        () => pinToCpus(child.pid, cpus),
        () => {},
      );
      return worker;
    });
    return new ClientPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((worker) => worker.process.pid ?? 0);
  }

  /**
   * Opens the clients, `placement` choosing the process of each (default: round-robin), with
   * at most `concurrency` handshakes in flight per process.
   */
  async connect(
    clients: ClientSpec[],
    {
      concurrency = 50,
      timeoutMs = 30_000,
      placement,
    }: { concurrency?: number; timeoutMs?: number; placement?: (index: number) => number } = {},
  ): Promise<PoolConnectResult> {
    const shares: ClientSpec[][] = this.workers.map(() => []);
    clients.forEach((client, index) => {
      const worker = placement ? placement(index) : index % this.workers.length;
      shares[worker % this.workers.length]?.push(client);
    });
    // Each client has `timeoutMs`; the whole share as long as it takes at a slow 20 joins/s per
    // process beyond that (100 000 sockets into one host over Redis take minutes).
    const most = Math.max(...shares.map((share) => share.length));
    const reports = await this.reportsOf<ConnectReport>(
      (index) => ({ type: 'connect', clients: shares[index] ?? [], concurrency, timeoutMs }),
      timeoutMs + 60_000 + most * 50,
    );
    return {
      connected: sum(reports.map((report) => report.connected)),
      failed: sum(reports.map((report) => report.failed)),
      errors: reports.flatMap((report) => report.errors).slice(0, 5),
      elapsedMs: Math.max(...reports.map((report) => report.elapsedMs)),
      durations: mergeEncoded(reports.map((report) => report.durations)),
    };
  }

  /** Asks every process its own command and answers the reports, in process order. */
  private async reportsOf<R>(
    command: (index: number) => CommandBody,
    timeoutMs: number,
  ): Promise<R[]> {
    const replies = await Promise.all(
      this.workers.map((worker, index) => worker.ask(command(index), timeoutMs)),
    );
    return replies.map((reply) => (reply as unknown as { report: R }).report);
  }

  /**
   * Creates rooms by name with the connected clients that joined no room (see
   * clients/room-requests.ts), the names shared out among the processes.
   */
  async createRooms(
    names: readonly string[],
    { window, timeoutMs = 120_000 }: { window: number; timeoutMs?: number },
  ): Promise<CreateRoomsReport> {
    const reports = await this.reportsOf<CreateRoomsReport>(
      (index) => ({
        type: 'create-rooms',
        names: names.filter((_, i) => i % this.workers.length === index),
        window,
        timeoutMs,
      }),
      timeoutMs + 10_000,
    );
    return {
      created: sum(reports.map((report) => report.created)),
      failed: sum(reports.map((report) => report.failed)),
      errors: reports.flatMap((report) => report.errors).slice(0, 5),
      elapsedMs: Math.max(...reports.map((report) => report.elapsedMs)),
    };
  }

  /** Every connected client that joined no room asks `room:list` at this rate (0: stop). */
  async setListRate(
    perLobbyPerSecond: number,
    window: number,
    queries: ListQuery[],
  ): Promise<void> {
    await Promise.all(
      this.workers.map((worker) =>
        worker.ask({ type: 'list-rate', perLobbyPerSecond, window, queries }),
      ),
    );
  }

  async setRate(perSenderPerSecond: number, window: number): Promise<void> {
    await Promise.all(
      this.workers.map((worker) => worker.ask({ type: 'rate', perSenderPerSecond, window })),
    );
  }

  /** Counters since the pool started; latency since the last reset. */
  async stats(resetLatency: boolean): Promise<PoolStats> {
    const replies = await Promise.all(
      this.workers.map((worker) => worker.ask({ type: 'stats', resetLatency })),
    );
    const reports = replies.map((reply) => (reply as { report: StatsReport }).report);
    const total = (
      key: Exclude<keyof StatsReport, 'latency' | 'ackLatency' | 'lists' | 'events' | 'churn'>,
    ) => sum(reports.map((report) => report[key]));
    const lists: PoolStats['lists'] = new Map();
    for (const { kind, latency, ...counts } of reports.flatMap((report) => report.lists)) {
      const merged = lists.get(kind) ?? {
        answered: 0,
        failed: 0,
        skipped: 0,
        bytes: 0,
        latency: mergeEncoded([]),
      };
      merged.answered += counts.answered;
      merged.failed += counts.failed;
      merged.skipped += counts.skipped;
      merged.bytes += counts.bytes;
      merged.latency.add(mergeEncoded([latency]));
      lists.set(kind, merged);
    }
    const events: Record<string, number> = {};
    for (const report of reports) {
      for (const [name, count] of Object.entries(report.events))
        events[name] = (events[name] ?? 0) + count;
    }
    const churn: ChurnReport = { started: 0, joined: 0, failed: 0, left: 0, errors: [] };
    for (const report of reports) {
      churn.started += report.churn.started;
      churn.joined += report.churn.joined;
      churn.failed += report.churn.failed;
      churn.left += report.churn.left;
      churn.errors.push(...report.churn.errors);
    }
    churn.errors = churn.errors.slice(0, 5);
    return {
      delivered: total('delivered'),
      sent: total('sent'),
      acked: total('acked'),
      rejected: total('rejected'),
      skipped: total('skipped'),
      disconnects: total('disconnects'),
      probedBytes: total('probedBytes'),
      probedFrames: total('probedFrames'),
      latency: mergeEncoded(reports.map((report) => report.latency)),
      ackLatency: mergeEncoded(reports.map((report) => report.ackLatency)),
      lists,
      events,
      churn,
    };
  }

  /**
   * Presence churn (clients/churn.ts) from the process `worker` (default: the last), or, with
   * `plan` null, its end: whoever is still in the room leaves.
   */
  async setChurn(plan: ChurnPlan | null, worker = this.workers.length - 1): Promise<void> {
    const churner = this.workers[worker % this.workers.length] as Worker;
    await churner.ask({ type: 'churn', plan });
  }

  /**
   * Reconnect storm (clients/storm.ts): opens the storm clients, `placement` choosing the process
   * of each (default: round-robin), each joining its room; they come back by themselves.
   */
  async stormConnect(
    clients: StormClientSpec[],
    { concurrency = 50, timeoutMs = 60_000 }: { concurrency?: number; timeoutMs?: number } = {},
  ): Promise<StormConnectReport> {
    const shares: StormClientSpec[][] = this.workers.map(() => []);
    clients.forEach((client, index) => {
      shares[index % this.workers.length]?.push(client);
    });
    const reports = await this.reportsOf<StormConnectReport>(
      (index) => ({ type: 'storm-connect', clients: shares[index] ?? [], concurrency, timeoutMs }),
      timeoutMs + 60_000,
    );
    return {
      connected: sum(reports.map((report) => report.connected)),
      failed: sum(reports.map((report) => report.failed)),
      errors: reports.flatMap((report) => report.errors).slice(0, 5),
      elapsedMs: Math.max(...reports.map((report) => report.elapsedMs)),
    };
  }

  /** Sends `perRoom` messages to each room from one process (the first); see `seedRooms`. */
  async stormSeed(
    url: string,
    workspace: string,
    rooms: string[],
    perRoom: number,
    timeoutMs: number,
  ): Promise<StormSeedReport> {
    const reply = await (this.workers[0] as Worker).ask(
      { type: 'storm-seed', url, workspace, rooms, perRoom, timeoutMs },
      timeoutMs + 10_000,
    );
    return (reply as { report: StormSeedReport }).report;
  }

  /** Every storm client forgets the last storm's times: the next one is measured. */
  async stormArm(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.ask({ type: 'storm-arm' })));
  }

  /** Each process's storm report, in process order. */
  stormReports(withTimes: boolean): Promise<StormReport[]> {
    return this.reportsOf<StormReport>(() => ({ type: 'storm-report', withTimes }), 60_000);
  }

  /** Closes every client (the processes stay, for the next target). */
  async closeClients(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.ask({ type: 'close' })));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => stopProcess(worker.process, 2000)));
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
