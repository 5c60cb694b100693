import type { PoolConnectResult } from '../clients/pool';
import type { RunningTarget, TargetName } from '../servers/targets';
import { clientsInRooms, type ScenarioContext } from './context';
import { findSaturation, type Load, type Measurement, measureAt } from './measure';

export interface ManyRoomsResult {
  clients: number;
  roomSize: number;
  connectFailures: number;
  steps: Measurement[];
  peak: Measurement;
  /** At half of this target's own peak. */
  atHalf: Measurement;
}

const PROBE_EVERY = 5;

/**
 * Clients in rooms of `roomSize`, every client sending: many small broadcasts, so the cost per
 * message (validation, storage, routing) weighs more than the cost per delivery. On two nodes,
 * each room's members are split between them.
 */
/**
 * Connects the many-rooms clients (every one a sender) on `target` and describes their load:
 * the scenario and the profile start here.
 */
export async function manyRoomsLoad(
  context: ScenarioContext,
  target: RunningTarget,
  { probeEvery, durationMs }: { probeEvery?: number; durationMs: number },
): Promise<{ load: Load; connected: PoolConnectResult }> {
  const { options, pool } = context;
  const { clients, roomSize, window } = options.manyRooms;
  const specs = clientsInRooms(target.urls, clients, roomSize, { sends: true, probeEvery });
  const connected = await pool.connect(specs);
  if (connected.failed > 0)
    context.log(`  ${connected.failed} clients failed: ${connected.errors.join('; ')}`);
  const load: Load = {
    pool,
    target,
    senders: connected.connected,
    fanout: roomSize - 1,
    window,
    warmupMs: options.warmupMs,
    quietMs: options.quietMs,
    durationMs,
  };
  return { load, connected };
}

export async function runManyRooms(
  context: ScenarioContext,
  name: TargetName,
): Promise<ManyRoomsResult> {
  const { options, pool } = context;
  const { clients, roomSize, startRate } = options.manyRooms;
  return context.withTarget(name, async (target) => {
    const { load, connected } = await manyRoomsLoad(context, target, {
      probeEvery: PROBE_EVERY,
      durationMs: options.stepMs,
    });
    const { steps, peak } = await findSaturation(
      load,
      startRate,
      options.stepFactor,
      options.maxSteps,
      context.log,
    );
    const atHalf = await measureAt(load, (0.5 * peak.deliveredPerSec) / load.fanout / load.senders);
    context.log(
      `    at 50 % of peak: p50 ${atHalf.latency.p50Ms} / p99 ${atHalf.latency.p99Ms} ms`,
    );
    await pool.closeClients();
    return { clients, roomSize, connectFailures: connected.failed, steps, peak, atHalf };
  });
}
