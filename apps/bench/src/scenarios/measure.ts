import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientPool } from '../clients/pool';
import { type LatencySummary, summarize } from '../latency';
import { CpuMeter, WriteMeter } from '../proc-stats';
import type { RunningTarget, TargetName } from '../servers/targets';

/** A load being applied: who sends, how many receive each message, and how it is measured. */
export interface Load {
  pool: ClientPool;
  target: RunningTarget;
  senders: number;
  /** Deliveries each message should cause (the room's receivers). */
  fanout: number;
  /** Unacknowledged messages a sender may have before it skips a turn. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** No delivery for this long: the window's backlog has drained. */
  quietMs: number;
}

/** One measured window at a fixed offered rate. */
export interface Measurement {
  offeredMessagesPerSec: number;
  sentMessagesPerSec: number;
  expectedDeliveriesPerSec: number;
  deliveredPerSec: number;
  /** Server processes' CPU over the window, in % of one core (Redis included when used). */
  serverCpuPercent: number;
  deliveriesPerServerCpuSecond: number;
  /** Server write system calls per delivery (every server process): below 1, frames batched. */
  serverWritesPerDelivery: number;
  /** Bytes the server processes wrote per delivery: about one frame, unless a backlog drained. */
  serverBytesPerDelivery: number;
  generatorCpuPercent: number;
  latency: LatencySummary;
  /** Send → acknowledgement of the clients with `probeAcks`, when there are any. */
  ackLatency?: LatencySummary;
  /** Sends refused by the server (an ack with ok: false) during the window. */
  rejected: number;
  /** Clients the server disconnected during the window. */
  disconnects: number;
  /** Delivered below 90 % of what was offered: the server (or generator) is at its limit. */
  saturated: boolean;
}

const SATURATION_SHARE = 0.9;

export async function measureAt(load: Load, perSenderPerSecond: number): Promise<Measurement> {
  const { pool, target } = load;
  const server = new CpuMeter(() => target.pids());
  const generator = new CpuMeter(() => pool.pids());
  const writes = new WriteMeter(() => target.pids());
  await pool.setRate(perSenderPerSecond, load.window);
  await sleep(load.warmupMs);
  const before = await pool.stats(true);
  server.start();
  generator.start();
  writes.start();
  await sleep(load.durationMs);
  const after = await pool.stats(true);
  const written = writes.read();
  const serverCpu = server.read();
  const generatorCpu = generator.read();
  await pool.setRate(0, load.window);
  await drain(pool, { quietMs: load.quietMs });
  const failure = target.failure();
  if (failure) throw new Error(failure);

  const seconds = serverCpu.wallSeconds;
  const delivered = after.delivered - before.delivered;
  const deliveredPerSec = delivered / seconds;
  const perDelivery = (count: number) => (delivered > 0 ? count / delivered : 0);
  const offeredMessagesPerSec = perSenderPerSecond * load.senders;
  const expectedDeliveriesPerSec = offeredMessagesPerSec * load.fanout;
  return {
    offeredMessagesPerSec: round(offeredMessagesPerSec),
    sentMessagesPerSec: round((after.sent - before.sent) / seconds),
    expectedDeliveriesPerSec: round(expectedDeliveriesPerSec),
    deliveredPerSec: round(deliveredPerSec),
    serverCpuPercent: round(serverCpu.corePercent),
    deliveriesPerServerCpuSecond: round(
      serverCpu.cpuSeconds > 0 ? (deliveredPerSec * seconds) / serverCpu.cpuSeconds : 0,
    ),
    serverWritesPerDelivery: Math.round(perDelivery(written.calls) * 1000) / 1000,
    serverBytesPerDelivery: round(perDelivery(written.bytes)),
    generatorCpuPercent: round(generatorCpu.corePercent),
    latency: summarize(after.latency),
    ...(after.ackLatency.totalCount > 0 && { ackLatency: summarize(after.ackLatency) }),
    rejected: after.rejected - before.rejected,
    disconnects: after.disconnects - before.disconnects,
    saturated: deliveredPerSec < SATURATION_SHARE * expectedDeliveriesPerSec,
  };
}

/** Waits until deliveries stop arriving (bounded), so one window's backlog never leaks into the next. */
export async function drain(
  pool: ClientPool,
  { maxMs = 5_000, quietMs = 150 }: { maxMs?: number; quietMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = (await pool.stats(false)).delivered;
  while (Date.now() < deadline) {
    await sleep(quietMs);
    const now = (await pool.stats(false)).delivered;
    if (now === last) return;
    last = now;
  }
}

export interface SaturationSearch {
  steps: Measurement[];
  /** The window with the most deliveries per second. */
  peak: Measurement;
}

/** Past this p99 the queues, not the server's speed, are being measured. */
const DROWNING_P99_MS = 1000;

/**
 * Steps the offered rate up by `factor` until the target saturates (or `maxSteps`). The peak is
 * the most it delivered in any window: at saturation that is its capacity. One saturated step
 * is not the end while it still delivered clearly more than any before it: on a shared machine a
 * neighbour's burst can make one window fall short.
 */
export async function findSaturation(
  load: Load,
  startPerSender: number,
  factor: number,
  maxSteps: number,
  log: (line: string) => void,
): Promise<SaturationSearch> {
  const steps: Measurement[] = [];
  let rate = startPerSender;
  let best = 0;
  let saturatedSteps = 0;
  for (let step = 0; step < maxSteps; step++) {
    const measured = await measureAt(load, rate);
    steps.push(measured);
    log(
      `    ${fmt(measured.offeredMessagesPerSec)} msg/s offered → ${fmt(measured.deliveredPerSec)} deliveries/s, ` +
        `p99 ${measured.latency.p99Ms} ms, server ${Math.round(measured.serverCpuPercent)} % CPU, ` +
        `generator ${Math.round(measured.generatorCpuPercent)} %${measured.saturated ? '  (saturated)' : ''}`,
    );
    const grew = measured.deliveredPerSec > 1.05 * best;
    best = Math.max(best, measured.deliveredPerSec);
    if (measured.disconnects > 0 || measured.latency.p99Ms > DROWNING_P99_MS) break;
    if (measured.saturated && (++saturatedSteps >= 2 || !grew)) break;
    rate *= factor;
  }
  const peak = steps.reduce((top, step) =>
    step.deliveredPerSec > top.deliveredPerSec ? step : top,
  );
  return { steps, peak };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** One measured window of a target, in a run where targets take turns. */
export interface TargetRound {
  target: TargetName;
  measurement: Measurement;
}

/** Per target, the round `median` picks among that target's rounds. */
export function medianRoundByTarget(
  rounds: readonly TargetRound[],
  targets: readonly TargetName[],
  median: (rounds: readonly Measurement[]) => Measurement | undefined,
): Partial<Record<TargetName, Measurement>> {
  const byTarget: Partial<Record<TargetName, Measurement>> = {};
  for (const name of targets) {
    const picked = median(
      rounds.filter((round) => round.target === name).map((r) => r.measurement),
    );
    if (picked) byTarget[name] = picked;
  }
  return byTarget;
}
