import { SignJWT } from 'jose';
import { encodeHistogram, newLatencyHistogram } from '../latency';
import { Churn } from './churn';
import type { ConnectReport, StatsReport, WorkerCommand, WorkerReply } from './commands';
import { type ClientSpec, RawSocketIoClient, type WorkerCounters } from './raw-socketio';
import { createRooms, ListLoad } from './room-requests';
import { Storm, seedRooms } from './storm';

/**
 * One load-generator process: it holds some of the clients, sends at the rate it is told, and
 * reports counters and latency to the harness. Started by clients/pool.ts with the token secret
 * in BENCH_AUTH_SECRET.
 */

const SEND_TICK_MS = 5;
/** Bounds one tick's burst however far behind the timer fell. */
const MAX_SENDS_PER_TICK = 5_000;

const secret = new TextEncoder().encode(process.env.BENCH_AUTH_SECRET ?? '');
const counters: WorkerCounters = {
  delivered: 0,
  sent: 0,
  acked: 0,
  rejected: 0,
  disconnects: 0,
  probedBytes: 0,
  probedFrames: 0,
  latency: newLatencyHistogram(),
  ackLatency: newLatencyHistogram(),
  events: new Map(),
};
const lists = new ListLoad();
let skipped = 0;
const clients: RawSocketIoClient[] = [];
let senders: RawSocketIoClient[] = [];
let sendTimer: NodeJS.Timeout | undefined;
const churn = new Churn(counters, (userId) => mintToken(userId));
const storm = new Storm();

/** Clients that joined no room: the room makers, or the lobbies. */
const roomless = () => clients.filter((client) => client.spec.room === undefined);

/** A Parley token for a bench user: HS256, every workspace, valid for the run. */
function mintToken(userId: string): Promise<string> {
  return new SignJWT({ name: userId, ws: '*' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setExpirationTime('2h')
    .sign(secret);
}

async function connect(
  specs: ClientSpec[],
  concurrency: number,
  timeoutMs: number,
): Promise<ConnectReport> {
  const durations = newLatencyHistogram();
  const errors: string[] = [];
  let connected = 0;
  let failed = 0;
  let next = 0;
  const tokens = await Promise.all(specs.map((spec) => mintToken(spec.userId)));
  const startedAt = performance.now();
  // A fixed number of handshakes in flight: a connect storm, but a bounded one.
  const lane = async () => {
    while (next < specs.length) {
      const index = next++;
      const client = new RawSocketIoClient(
        specs[index] as ClientSpec,
        tokens[index] as string,
        counters,
      );
      const began = performance.now();
      try {
        await client.ready(timeoutMs);
        durations.recordValue(Math.max(1, Math.round((performance.now() - began) * 1000)));
        clients.push(client);
        connected++;
      } catch (error) {
        failed++;
        client.close();
        if (errors.length < 5) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  senders = clients.filter((client) => client.spec.sends);
  return {
    connected,
    failed,
    errors,
    durations: encodeHistogram(durations),
    elapsedMs: performance.now() - startedAt,
  };
}

/**
 * Sends at `perSenderPerSecond` from every sending client, spread evenly over time. A client
 * with `window` messages unacknowledged skips its turn (counted): the server is behind, and
 * piling more on would only measure queues.
 */
function setRate(perSenderPerSecond: number, window: number): void {
  clearInterval(sendTimer);
  sendTimer = undefined;
  if (perSenderPerSecond <= 0 || senders.length === 0) return;
  const startedAt = performance.now();
  const perSecond = perSenderPerSecond * senders.length;
  let due = 0;
  let turn = 0;
  sendTimer = setInterval(() => {
    const shouldHave = Math.floor(((performance.now() - startedAt) / 1000) * perSecond);
    const count = Math.min(shouldHave - due, MAX_SENDS_PER_TICK);
    due = shouldHave;
    for (let i = 0; i < count; i++) {
      const client = senders[turn++ % senders.length] as RawSocketIoClient;
      if (client.connected && client.inFlight < window) client.sendMessage();
      else skipped++;
    }
  }, SEND_TICK_MS);
}

function stats(resetLatency: boolean): StatsReport {
  const report: StatsReport = {
    delivered: counters.delivered,
    sent: counters.sent,
    acked: counters.acked,
    rejected: counters.rejected,
    skipped,
    disconnects: counters.disconnects,
    probedBytes: counters.probedBytes,
    probedFrames: counters.probedFrames,
    latency: encodeHistogram(counters.latency),
    ackLatency: encodeHistogram(counters.ackLatency),
    lists: lists.report(resetLatency),
    events: Object.fromEntries(counters.events),
    churn: churn.stats(),
  };
  if (resetLatency) {
    counters.latency.reset();
    counters.ackLatency.reset();
  }
  return report;
}

async function handle(command: WorkerCommand): Promise<WorkerReply> {
  switch (command.type) {
    case 'connect':
      return {
        type: 'connect',
        id: command.id,
        report: await connect(command.clients, command.concurrency, command.timeoutMs),
      };
    case 'rate':
      setRate(command.perSenderPerSecond, command.window);
      return { type: 'done', id: command.id };
    case 'create-rooms':
      return {
        type: 'create-rooms',
        id: command.id,
        report: await createRooms(roomless(), command.names, command.window, command.timeoutMs),
      };
    case 'list-rate':
      lists.setRate(roomless(), command.perLobbyPerSecond, command.window, command.queries);
      return { type: 'done', id: command.id };
    case 'churn':
      if (command.plan) churn.start(command.plan);
      else churn.stop();
      return { type: 'done', id: command.id };
    case 'stats':
      return { type: 'stats', id: command.id, report: stats(command.resetLatency) };
    case 'storm-connect': {
      const tokens = await Promise.all(command.clients.map((spec) => mintToken(spec.userId)));
      return {
        type: 'storm-connect',
        id: command.id,
        report: await storm.connect(
          command.clients,
          tokens,
          command.concurrency,
          command.timeoutMs,
        ),
      };
    }
    case 'storm-seed':
      return {
        type: 'storm-seed',
        id: command.id,
        report: await seedRooms(
          command.url,
          command.workspace,
          command.rooms,
          command.perRoom,
          await mintToken('storm-seeder'),
          command.timeoutMs,
        ),
      };
    case 'storm-arm':
      storm.arm();
      return { type: 'done', id: command.id };
    case 'storm-report':
      return { type: 'storm-report', id: command.id, report: storm.report(command.withTimes) };
    case 'close':
      setRate(0, 0);
      lists.setRate([], 0, 0, []);
      churn.stop();
      storm.close();
      for (const client of clients.splice(0)) client.close();
      senders = [];
      return { type: 'done', id: command.id };
  }
}

process.on('message', (command: WorkerCommand) => {
  handle(command)
    .catch(
      (error: unknown): WorkerReply => ({ type: 'error', id: command.id, message: String(error) }),
    )
    .then((reply) => process.send?.(reply));
});
// The harness is gone: so is the reason to exist.
process.on('disconnect', () => process.exit(0));
