import type { ClientSpec } from '../clients/raw-socketio';
import type { BenchOptions } from '../options';
import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, sourceAddress } from './context';
import { findSaturation, type Load, type Measurement, measureAt } from './measure';

export interface FanoutResult {
  receivers: number;
  connectFailures: number;
  steps: Measurement[];
  peak: Measurement;
  /** Latency at fixed fractions of this target's own peak message rate. */
  atFraction: { fraction: number; measurement: Measurement }[];
  /** Average bytes of one delivered message frame (what the server writes per receiver). */
  frameBytes: number;
}

const WORKSPACE = 'bench';
const ROOM = 'fanout';
/** One in this many receivers parses timestamps: plenty of samples, little generator work. */
const PROBE_EVERY = 10;

/** Connects one sender and `receivers` receivers to one room; the sender gets its own process. */
export async function connectFanoutRoom(
  context: ScenarioContext,
  target: RunningTarget,
  receivers: number,
): Promise<{ failed: number }> {
  const { pool } = context;
  const receiverSpecs: ClientSpec[] = Array.from({ length: receivers }, (_, index) => ({
    url: target.urls[index % target.urls.length] as string,
    workspace: WORKSPACE,
    room: ROOM,
    userId: `receiver-${index}`,
    probe: index % PROBE_EVERY === 0,
    sends: false,
    localAddress: sourceAddress(index),
  }));
  // Process 0 only sends; receiving is spread over the others.
  const receiving = await pool.connect(receiverSpecs, {
    placement: (index) => 1 + (index % (pool.size - 1)),
  });
  const sender: ClientSpec = {
    url: target.urls[0] as string,
    workspace: WORKSPACE,
    room: ROOM,
    userId: 'sender',
    probe: false,
    sends: true,
    localAddress: sourceAddress(receivers),
  };
  const sending = await pool.connect([sender], { placement: () => 0 });
  if (sending.connected !== 1)
    throw new Error(`sender could not join: ${sending.errors.join('; ')}`);
  if (receiving.failed > 0)
    context.log(`  ${receiving.failed} receivers failed: ${receiving.errors.join('; ')}`);
  return { failed: receiving.failed };
}

/**
 * Connects the fan-out room on `target` and describes the load its one sender puts on it: every
 * fan-out measurement (steps, same-load rounds, cross-node, profiles) starts here.
 */
export async function fanoutRoomLoad(
  context: ScenarioContext,
  target: RunningTarget,
  { receivers, durationMs }: { receivers: number; durationMs: number },
): Promise<Load> {
  const { options, pool } = context;
  const { failed } = await connectFanoutRoom(context, target, receivers);
  return {
    pool,
    target,
    senders: 1,
    fanout: receivers - failed,
    window: options.fanout.window,
    warmupMs: options.warmupMs,
    quietMs: options.quietMs,
    durationMs,
  };
}

/**
 * The rate of the same-load rounds: as asked, else half of bare Socket.IO's peak in this run
 * (the load at which the baseline is half saturated), else a fixed fallback.
 */
export function sameLoadRateFor(options: BenchOptions, bare: FanoutResult | undefined): number {
  const { sameLoadRate, fallbackSameLoadRate } = options.fanout;
  if (sameLoadRate !== undefined) return sameLoadRate;
  if (!bare) return fallbackSameLoadRate;
  const peakMessagesPerSec = bare.peak.deliveredPerSec / (bare.receivers - bare.connectFailures);
  return Math.max(1, Math.round(peakMessagesPerSec / 2));
}

/** The round with the median p99 (the lower middle one for an even count). */
export function medianByP99(rounds: readonly Measurement[]): Measurement | undefined {
  const sorted = [...rounds].sort((a, b) => a.latency.p99Ms - b.latency.p99Ms);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export async function runFanout(context: ScenarioContext, name: TargetName): Promise<FanoutResult> {
  const { options, pool } = context;
  const { receivers, startRate, fractions } = options.fanout;
  return context.withTarget(name, async (target) => {
    const load = await fanoutRoomLoad(context, target, { receivers, durationMs: options.stepMs });
    const failed = receivers - load.fanout;
    const before = await pool.stats(false);
    const { steps, peak } = await findSaturation(
      load,
      startRate,
      options.stepFactor,
      options.maxSteps,
      context.log,
    );
    const peakRate = peak.deliveredPerSec / load.fanout;
    const atFraction: FanoutResult['atFraction'] = [];
    for (const fraction of fractions) {
      const measurement = await measureAt(load, fraction * peakRate);
      context.log(
        `    at ${fraction * 100} % of peak: p50 ${measurement.latency.p50Ms} / p95 ${measurement.latency.p95Ms} / p99 ${measurement.latency.p99Ms} ms`,
      );
      atFraction.push({ fraction, measurement });
    }
    const after = await pool.stats(false);
    await pool.closeClients();
    const frames = after.probedFrames - before.probedFrames;
    return {
      receivers,
      connectFailures: failed,
      steps,
      peak,
      atFraction,
      frameBytes: frames > 0 ? Math.round((after.probedBytes - before.probedBytes) / frames) : 0,
    };
  });
}
