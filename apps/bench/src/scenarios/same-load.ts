import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, withTargetsUp } from './context';
import { fanoutRoomLoad, medianByP99 } from './fanout';
import { type Measurement, measureAt, medianRoundByTarget } from './measure';

export interface SameLoadResult {
  messagesPerSec: number;
  receivers: number;
  /** Every measured round of each target, in the order they ran. */
  rounds: { target: TargetName; measurement: Measurement }[];
  /** Per target: the round with the median p99. */
  byTarget: Partial<Record<TargetName, Measurement>>;
}

/**
 * Fan-out latency with every target under the same load: the comparison that says what a
 * server adds to a message's trip, where "each at its own half saturation" would load a faster
 * server more. The targets run side by side and take turns, one window each per round, so a
 * drift in the machine's state (a neighbour, the host) falls on all of them alike; a round
 * starts with a different target each time. A window's p99 rests on its slowest few
 * broadcasts, so the median round is reported, after one unreported warm-up window each.
 */
export async function runSameLoad(
  context: ScenarioContext,
  targets: readonly TargetName[],
  messagesPerSec: number,
): Promise<SameLoadResult> {
  const { options, pool, log } = context;
  const { receivers, sameLoadRounds } = options.fanout;
  const windowOn = async (
    running: ReadonlyMap<TargetName, RunningTarget>,
    name: TargetName,
  ): Promise<Measurement> => {
    const target = running.get(name) as RunningTarget;
    const load = await fanoutRoomLoad(context, target, { receivers, durationMs: options.stepMs });
    try {
      return await measureAt(load, messagesPerSec);
    } finally {
      await pool.closeClients();
    }
  };

  const rounds: SameLoadResult['rounds'] = [];
  const measureAll = async (running: ReadonlyMap<TargetName, RunningTarget>) => {
    for (let turn = 0; turn < options.warmupTurns; turn++)
      for (const name of targets) await windowOn(running, name); // JIT, first joins
    for (let round = 0; round < sameLoadRounds; round++) {
      const order = targets.map((_, index) => targets[(round + index) % targets.length]);
      for (const name of order as TargetName[]) {
        const measurement = await windowOn(running, name);
        const { p50Ms, p95Ms, p99Ms } = measurement.latency;
        log(`  round ${round + 1}, ${name}: p50 ${p50Ms} / p95 ${p95Ms} / p99 ${p99Ms} ms`);
        rounds.push({ target: name, measurement });
      }
    }
  };
  await withTargetsUp(context, targets, measureAll);

  const byTarget = medianRoundByTarget(rounds, targets, medianByP99);
  return { messagesPerSec, receivers, rounds, byTarget };
}
