import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientPool, PoolStats } from '../clients/pool';
import type { ClientSpec } from '../clients/raw-socketio';
import { type LatencySummary, summarize } from '../latency';
import { CpuMeter } from '../proc-stats';
import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, sourceAddress } from './context';
import { fmt } from './measure';

/**
 * Presence churn in big rooms: one room of N idle members (one of them sending a few messages a
 * second) while fresh users join and leave it, each join and leave announced to every member.
 * Measured at each N with and without the churn, side by side: what the churn costs the server
 * (CPU) and the members (frames), and what it does to message latency.
 */

/** Bare Socket.IO and ws have no presence: only Parley targets are measured. */
export function hasPresence(name: TargetName): boolean {
  return name.startsWith('parley');
}

export const CHURN_PHASES = ['noChurn', 'churn'] as const;
export type ChurnPhase = (typeof CHURN_PHASES)[number];
export const PHASE_LABELS: Record<ChurnPhase, string> = {
  noChurn: 'no churn',
  churn: 'churn',
};

export interface PhaseFigures {
  /** Server processes' CPU over the window, % of one core. */
  serverCpuPercent: number;
  generatorCpuPercent: number;
  /** Event packets per second received by the N members together, every name. */
  framesPerSec: number;
  /** The same, by event name (whatever names arrived). */
  framesPerSecByEvent: Record<string, number>;
  /** `message:send` per second from the sender. */
  messagesPerSec: number;
  /** Send → each member's `message:new`. */
  latency: LatencySummary;
  /** Churn clients that joined, and left, per second (0 without churn); joins that failed. */
  joinsPerSec: number;
  leavesPerSec: number;
  failedJoins: number;
  /** Members the server disconnected during the window (slow readers, crashes): should be 0. */
  disconnects: number;
  rejected: number;
}

export interface ChurnSize {
  /** Members asked for, and those in the room when measured (joined, less any dropped since). */
  members: number;
  connected: number;
  /** Seconds to grow the room to this size from the previous one (joins announced to the room). */
  setupSeconds: number;
  noChurn: PhaseFigures;
  churn: PhaseFigures;
  /** Churn minus no churn. */
  cost: { serverCpuPercent: number; framesPerSec: number };
  /** p99 with churn ÷ p99 without. */
  p99Ratio?: number;
}

export interface PresenceChurnResult {
  room: string;
  joinsPerSec: number;
  lifetimeMs: number;
  messagesPerSec: number;
  windowMs: number;
  sizes: ChurnSize[];
  /**
   * The churn's cost at the largest size ÷ at the size before it (10 000 ÷ 1 000 by default):
   * 10× the members, how many times the cost.
   */
  growth?: { from: number; to: number; serverCpu?: number; frames?: number };
}

const WORKSPACE = 'bench';
const ROOM = 'presence-churn';
const WINDOW = 32;
const ADDRESSES = Array.from({ length: 8 }, (_, index) => sourceAddress(index));

function eventsTotal(stats: PoolStats): number {
  return Object.values(stats.events).reduce((total, count) => total + count, 0);
}

/** Waits until no event packet has arrived for a moment (bounded): the room is quiet. */
async function quiet(pool: ClientPool, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = eventsTotal(await pool.stats(false));
  while (Date.now() < deadline) {
    await sleep(250);
    const now = eventsTotal(await pool.stats(false));
    if (now === last) return;
    last = now;
  }
}

/** The room's members so far: how many joined, and the index the next one gets. */
interface Room {
  joined: number;
  nextIndex: number;
  /** performance.now() past which it grows no more (the grow budget). */
  deadline: number;
}

/**
 * Grows the room to `to` members, in batches. A member that does not get in (a join refused, or
 * reset by a server too busy to answer in time) is replaced by a fresh one (another user id) in
 * a later batch; it gives up once a batch gets nobody in or the replacements pass half the size.
 */
async function grow(
  context: ScenarioContext,
  target: RunningTarget,
  room: Room,
  to: number,
): Promise<void> {
  const { pool, options } = context;
  const { batch } = options.presenceChurn;
  const from = room.joined;
  let failed = 0;
  while (room.joined < to && failed <= to / 2 && performance.now() < room.deadline) {
    const start = room.nextIndex;
    const count = Math.min(batch, to - room.joined);
    room.nextIndex += count;
    // Member 0 sends; every other member measures delivery latency, and all count frames.
    const specs: ClientSpec[] = Array.from({ length: count }, (_, offset) => {
      const index = start + offset;
      return {
        url: target.urls[index % target.urls.length] as string,
        workspace: WORKSPACE,
        room: ROOM,
        userId: `member-${index}`,
        probe: index > 0,
        sends: index === 0,
        countEvents: true,
        localAddress: sourceAddress(index),
      };
    });
    const result = await pool.connect(specs, {
      // Many joins in flight: Parley's write batching sends the announcements of one event-loop
      // turn in at most two writes per member, so growing the room costs far fewer system calls
      // than one join at a time (it is still N²/2 presence:joined frames in all).
      concurrency: 400,
      // A join waits its turn behind the announcements of every join before it: at 10 000
      // members a batch can take minutes on a busy machine.
      timeoutMs: Math.max(30_000, room.deadline - performance.now()),
      placement: (offset) => start + offset,
    });
    room.joined += result.connected;
    failed += result.failed;
    if (result.failed > 0)
      context.log(`      ${result.failed} members did not join: ${result.errors.join('; ')}`);
    // Each join is announced to everyone already in: let those frames arrive before the next batch.
    await quiet(pool, 60_000);
    if (to - from > batch)
      context.log(`      ${fmt(room.joined)} joined (${fmt(result.elapsedMs)} ms)`);
    if (result.connected === 0) break;
  }
}

/** Per second over `seconds`, by event name, from two cumulative snapshots. */
function rates(
  before: Record<string, number>,
  after: Record<string, number>,
  seconds: number,
): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta > 0) byName[name] = round(delta / seconds);
  }
  return byName;
}

async function measurePhase(
  context: ScenarioContext,
  target: RunningTarget,
  phase: ChurnPhase,
): Promise<PhaseFigures> {
  const { pool, options } = context;
  const { joinsPerSec, lifetimeMs, messagesPerSec, warmupMs, windowMs } = options.presenceChurn;
  const server = new CpuMeter(() => target.pids());
  const generator = new CpuMeter(() => pool.pids());
  await pool.setRate(messagesPerSec, WINDOW);
  if (phase === 'churn') {
    await pool.setChurn({
      urls: target.urls,
      workspace: WORKSPACE,
      room: ROOM,
      joinsPerSec,
      lifetimeMs,
      localAddresses: ADDRESSES,
    });
  }
  // The churn reaches its steady state (as many leaving as joining) after one lifetime.
  await sleep(warmupMs + (phase === 'churn' ? lifetimeMs : 0));
  const before = await pool.stats(true);
  server.start();
  generator.start();
  await sleep(windowMs);
  const after = await pool.stats(true);
  const serverCpu = server.read();
  const generatorCpu = generator.read();
  await pool.setRate(0, WINDOW);
  if (phase === 'churn') await pool.setChurn(null);
  await quiet(pool, 30_000);
  const failure = target.failure();
  if (failure) throw new Error(failure);

  const seconds = serverCpu.wallSeconds;
  const framesPerSecByEvent = rates(before.events, after.events, seconds);
  if (after.churn.errors.length > before.churn.errors.length)
    context.log(`      churn failures: ${after.churn.errors.slice(-2).join('; ')}`);
  return {
    serverCpuPercent: round(serverCpu.corePercent),
    generatorCpuPercent: round(generatorCpu.corePercent),
    framesPerSec: round(Object.values(framesPerSecByEvent).reduce((total, n) => total + n, 0)),
    framesPerSecByEvent,
    messagesPerSec: round((after.sent - before.sent) / seconds),
    latency: summarize(after.latency),
    joinsPerSec: round((after.churn.joined - before.churn.joined) / seconds),
    leavesPerSec: round((after.churn.left - before.churn.left) / seconds),
    failedJoins: after.churn.failed - before.churn.failed,
    disconnects: after.disconnects - before.disconnects,
    rejected: after.rejected - before.rejected,
  };
}

function describe(figures: PhaseFigures): string {
  const events = Object.entries(figures.framesPerSecByEvent)
    .sort(([, a], [, b]) => b - a)
    .map(([name, perSec]) => `${name} ${fmt(perSec)}`)
    .join(', ');
  return (
    `server ${Math.round(figures.serverCpuPercent)} % CPU, generator ${Math.round(figures.generatorCpuPercent)} %, ` +
    `${fmt(figures.framesPerSec)} frames/s (${events || 'none'}), p50 ${figures.latency.p50Ms} / p99 ${figures.latency.p99Ms} ms` +
    (figures.joinsPerSec > 0
      ? `, ${figures.joinsPerSec} joins/s, ${figures.leavesPerSec} leaves/s`
      : '')
  );
}

export async function runPresenceChurn(
  context: ScenarioContext,
  name: TargetName,
): Promise<PresenceChurnResult> {
  const { options, log } = context;
  const { sizes, joinsPerSec, lifetimeMs, messagesPerSec, windowMs } = options.presenceChurn;
  return context.withFreshTarget(name, async (target) => {
    const measured: ChurnSize[] = [];
    const room: Room = {
      joined: 0,
      nextIndex: 0,
      deadline: performance.now() + options.presenceChurn.growBudgetMs,
    };
    // The pool's counters run from its start: members dropped for an earlier target are not ours.
    const droppedBefore = (await context.pool.stats(false)).disconnects;
    for (const size of sizes) {
      const startedAt = performance.now();
      await grow(context, target, room, size);
      // Members the server dropped since (a busy server's ping timeout) are no longer in it.
      const dropped = (await context.pool.stats(false)).disconnects - droppedBefore;
      const connected = room.joined - dropped;
      const setupSeconds = round((performance.now() - startedAt) / 1000);
      log(`    ${fmt(size)} members (${fmt(connected)} joined, room grown in ${setupSeconds} s)`);
      if (connected < size)
        log(
          `      the room did not reach ${fmt(size)} (grow budget or refused joins): measured at ${fmt(connected)}`,
        );
      if (connected === 0) throw new Error('no member joined the room');
      const noChurn = await measurePhase(context, target, 'noChurn');
      log(`      no churn: ${describe(noChurn)}`);
      const churn = await measurePhase(context, target, 'churn');
      log(`      churn:    ${describe(churn)}`);
      measured.push({
        members: size,
        connected,
        setupSeconds,
        noChurn,
        churn,
        cost: {
          serverCpuPercent: round(churn.serverCpuPercent - noChurn.serverCpuPercent),
          framesPerSec: round(churn.framesPerSec - noChurn.framesPerSec),
        },
        p99Ratio: ratio(churn.latency.p99Ms, noChurn.latency.p99Ms),
      });
      if (connected < size) break; // it grows no more: larger sizes would measure this one again
    }
    const largest = measured.at(-1);
    const before = measured.at(-2);
    return {
      room: ROOM,
      joinsPerSec,
      lifetimeMs,
      messagesPerSec,
      windowMs,
      sizes: measured,
      ...(largest &&
        before && {
          growth: {
            from: before.connected,
            to: largest.connected,
            serverCpu: ratio(largest.cost.serverCpuPercent, before.cost.serverCpuPercent),
            frames: ratio(largest.cost.framesPerSec, before.cost.framesPerSec),
          },
        }),
    };
  });
}

/** a ÷ b when both are positive: a negative churn cost is noise, and no ratio of it means anything. */
function ratio(a: number, b: number): number | undefined {
  return a > 0 && b > 0 ? Math.round((a / b) * 100) / 100 : undefined;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
