import type { ClientSpec } from '../clients/raw-socketio';
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
  /** Latency at the same message rate for every target (`sameLoadRate`). */
  atSameLoad: Measurement;
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

export async function runFanout(context: ScenarioContext, name: TargetName): Promise<FanoutResult> {
  const { options, pool } = context;
  const { receivers, startRate, window, fractions, sameLoadRate } = options.fanout;
  return context.withTarget(name, async (target) => {
    const { failed } = await connectFanoutRoom(context, target, receivers);
    const load: Load = {
      pool,
      target,
      senders: 1,
      fanout: receivers - failed,
      window,
      warmupMs: options.warmupMs,
      durationMs: options.stepMs,
    };
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
    // Compared at each one's own fractions, a faster server is measured under more load; this
    // window puts every target under the same load.
    const atSameLoad = await measureAt(load, sameLoadRate);
    context.log(
      `    at ${sameLoadRate} msg/s (same for all): p50 ${atSameLoad.latency.p50Ms} / p95 ${atSameLoad.latency.p95Ms} / p99 ${atSameLoad.latency.p99Ms} ms`,
    );
    const after = await pool.stats(false);
    await pool.closeClients();
    const frames = after.probedFrames - before.probedFrames;
    return {
      receivers,
      connectFailures: failed,
      steps,
      peak,
      atFraction,
      atSameLoad,
      frameBytes: frames > 0 ? Math.round((after.probedBytes - before.probedBytes) / frames) : 0,
    };
  });
}
