import type { ClientSpec } from '../clients/raw-socketio';
import type { LatencySummary } from '../latency';
import { medianBy, medianOf } from '../median';
import { measureReplicaRoundTrip, type ReplicaRoundTrip } from '../servers/redis';
import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, sourceAddress, withTargetsUp } from './context';
import { type Load, type Measurement, measureAt } from './measure';

/** Two nodes over a Redis with one replica: acknowledging at once, and after `WAIT 1`. */
export const REPLICATED_ACKS_TARGETS: readonly TargetName[] = [
  'parley-redis-replica',
  'parley-redis-wait',
];

export interface ReplicatedAcksRound {
  target: TargetName;
  /** At the fixed rate: ack latency (senders, node A) and delivery latency (node B). */
  atRate: Measurement;
  /** Every sender as fast as its window of unacknowledged messages allows. */
  flatOut: Measurement;
}

export interface ReplicatedAcksFigures {
  /** Send → ack at the fixed rate (senders, node A): each percentile the median of the rounds'. */
  ack: LatencySummary;
  /** Send → delivery at the fixed rate on node B, the same way. */
  delivery: LatencySummary;
  /** Server CPU (nodes, Redis, replica) at the fixed rate, the median of the rounds'. */
  serverCpuPercent: number;
  /** The flat-out window with the median deliveries/s. */
  flatOut: Measurement;
  /** Sends refused over every reported window (a WAIT that timed out answers `unavailable`). */
  rejected: number;
}

export interface ReplicatedAcksResult {
  messagesPerSec: number;
  clients: number;
  roomSize: number;
  /** Every reported round of each target, in the order they ran. */
  rounds: ReplicatedAcksRound[];
  byTarget: Partial<Record<TargetName, ReplicatedAcksFigures>>;
  /** Redis alone, before any load: what one `WAIT 1` adds to a write's round trip. */
  replicaRoundTrip?: ReplicaRoundTrip;
  /** WAIT 1 ÷ no WAIT for each figure: above 1, WAIT made it larger. */
  waitVsNoWait?: {
    ackP50: number;
    ackP99: number;
    deliveryP50: number;
    deliveryP99: number;
    flatOutDeliveriesPerSec: number;
  };
}

/** Per sender; its window, not this rate, limits it: the flat-out load. */
const FLAT_OUT_PER_SENDER = 1000;

/**
 * The clients in rooms of `roomSize`, alternating between the two nodes: every client on node A
 * sends (and times its acknowledgements), every client on node B only receives, and one of
 * those per room times deliveries. So each ack timed went through node A, and each delivery
 * timed crossed from node A to node B through Redis.
 */
export function replicatedRoomClients(
  urls: readonly string[],
  clients: number,
  roomSize: number,
): ClientSpec[] {
  if (urls.length !== 2) throw new Error('replicated-acks needs a target with two nodes');
  if (roomSize % 2 !== 0) throw new Error('replicated-acks needs rooms of an even size');
  return Array.from({ length: clients }, (_, index) => {
    const onA = index % 2 === 0;
    return {
      url: urls[index % 2] as string,
      workspace: 'bench',
      room: `room-${Math.floor(index / roomSize)}`,
      userId: `user-${index}`,
      probe: index % roomSize === 1,
      probeAcks: onA,
      sends: onA,
      localAddress: sourceAddress(index),
    };
  });
}

/**
 * Each percentile the median of the rounds': with a few rounds on a shared machine, one bad
 * round moves a p99 by tens of milliseconds, and the p50 of the round with the median p99 is
 * no better than any one round's.
 */
function medianOfEach(summaries: readonly LatencySummary[]): LatencySummary {
  return {
    samples: summaries.reduce((sum, summary) => sum + summary.samples, 0),
    p50Ms: medianOf(summaries.map((summary) => summary.p50Ms)),
    p95Ms: medianOf(summaries.map((summary) => summary.p95Ms)),
    p99Ms: medianOf(summaries.map((summary) => summary.p99Ms)),
    maxMs: Math.max(...summaries.map((summary) => summary.maxMs)),
  };
}

function ratio(a: number | undefined, b: number | undefined): number {
  return a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : 0;
}

/**
 * What acknowledging only once a replica has the message (REDIS_WAIT_REPLICAS=1) costs: two
 * Parley nodes over a Redis with one replica, with and without WAIT, both up at once and taking
 * turns like the latency scenario (one unreported warm-up window each, then rounds whose first
 * target changes each time). In each turn, a window at a fixed message rate (ack and
 * cross-node delivery latency), then one flat out (throughput: every sender keeps its window
 * of unacknowledged messages full).
 */
export async function runReplicatedAcks(context: ScenarioContext): Promise<ReplicatedAcksResult> {
  const { options, pool, log } = context;
  const { clients, roomSize, messagesPerSec, window, seconds, flatOutSeconds, rounds } =
    options.replicatedAcks;
  let replicaRoundTrip: ReplicaRoundTrip | undefined;
  const targets = REPLICATED_ACKS_TARGETS;
  const turnOn = async (
    running: ReadonlyMap<TargetName, RunningTarget>,
    name: TargetName,
    reported: boolean,
  ) => {
    const target = running.get(name) as RunningTarget;
    const specs = replicatedRoomClients(target.urls, clients, roomSize);
    const connected = await pool.connect(specs);
    if (connected.failed > 0)
      throw new Error(`${connected.failed} clients failed: ${connected.errors.join('; ')}`);
    const senders = specs.filter((spec) => spec.sends).length;
    const load: Load = {
      pool,
      target,
      senders,
      fanout: roomSize - 1,
      window,
      warmupMs: options.warmupMs,
      quietMs: options.quietMs,
      durationMs: seconds * 1000,
    };
    try {
      const atRate = await measureAt(load, messagesPerSec / senders);
      if (!reported) return undefined;
      const flatOut = await measureAt(
        { ...load, durationMs: flatOutSeconds * 1000 },
        FLAT_OUT_PER_SENDER,
      );
      return { atRate, flatOut };
    } finally {
      await pool.closeClients();
    }
  };

  const results: ReplicatedAcksRound[] = [];
  const measureAll = async (running: ReadonlyMap<TargetName, RunningTarget>) => {
    const { redisUrl } = running.get('parley-redis-wait') ?? {};
    if (redisUrl) {
      replicaRoundTrip = await measureReplicaRoundTrip(redisUrl, {
        pairs: options.replicatedAcks.roundTripPairs,
      });
      const { setAndWait, setAndPing } = replicaRoundTrip;
      log(
        `  Redis alone: SET + WAIT 1 p50 ${setAndWait.p50} / p99 ${setAndWait.p99} µs, ` +
          `SET + PING p50 ${setAndPing.p50} / p99 ${setAndPing.p99} µs`,
      );
    }
    for (let turn = 0; turn < options.warmupTurns; turn++)
      for (const name of targets) await turnOn(running, name, false); // JIT, first joins
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, index) => targets[(round + index) % targets.length]);
      for (const name of order as TargetName[]) {
        const measured = await turnOn(running, name, true);
        if (!measured) continue;
        const { atRate, flatOut } = measured;
        const ack = atRate.ackLatency;
        log(
          `  round ${round + 1}, ${name}: ack p50 ${ack?.p50Ms} / p99 ${ack?.p99Ms} ms, ` +
            `delivery on the other node p50 ${atRate.latency.p50Ms} / p99 ${atRate.latency.p99Ms} ms; ` +
            `flat out ${Math.round(flatOut.sentMessagesPerSec)} msg/s` +
            (atRate.rejected + flatOut.rejected > 0
              ? `, ${atRate.rejected + flatOut.rejected} refused`
              : ''),
        );
        results.push({ target: name, atRate, flatOut });
      }
    }
  };
  await withTargetsUp(context, targets, measureAll);

  const byTarget: ReplicatedAcksResult['byTarget'] = {};
  for (const name of targets) {
    const mine = results.filter((round) => round.target === name);
    const acks = mine.flatMap((round) =>
      round.atRate.ackLatency ? [round.atRate.ackLatency] : [],
    );
    const flatOut = medianBy(mine, (round) => round.flatOut.deliveredPerSec)?.flatOut;
    if (acks.length === 0 || !flatOut) continue;
    byTarget[name] = {
      ack: medianOfEach(acks),
      delivery: medianOfEach(mine.map((round) => round.atRate.latency)),
      serverCpuPercent: medianOf(mine.map((round) => round.atRate.serverCpuPercent)),
      flatOut,
      rejected: mine.reduce(
        (sum, round) => sum + round.atRate.rejected + round.flatOut.rejected,
        0,
      ),
    };
  }
  const off = byTarget['parley-redis-replica'];
  const on = byTarget['parley-redis-wait'];
  const waitVsNoWait =
    off && on
      ? {
          ackP50: ratio(on.ack.p50Ms, off.ack.p50Ms),
          ackP99: ratio(on.ack.p99Ms, off.ack.p99Ms),
          deliveryP50: ratio(on.delivery.p50Ms, off.delivery.p50Ms),
          deliveryP99: ratio(on.delivery.p99Ms, off.delivery.p99Ms),
          flatOutDeliveriesPerSec: ratio(on.flatOut.deliveredPerSec, off.flatOut.deliveredPerSec),
        }
      : undefined;
  return {
    messagesPerSec,
    clients,
    roomSize,
    rounds: results,
    byTarget,
    replicaRoundTrip,
    waitVsNoWait,
  };
}
