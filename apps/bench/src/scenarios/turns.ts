import type { RunningTarget, TargetName } from '../servers/targets';
import type { ScenarioContext } from './context';
import {
  type Load,
  type Measurement,
  measureAt,
  medianRoundByTarget,
  type TargetRound,
} from './measure';

/** Targets that took turns under one fixed load, round after round. */
export interface TurnsResult {
  /** Per sender: messages per second (one sender for the fan-out, every client for many rooms). */
  perSenderPerSec: number;
  /** Every round of each target, in the order they ran (targets take turns in each round). */
  rounds: TargetRound[];
  /** Per target: the round with the median deliveries per server CPU-second. */
  byTarget: Partial<Record<TargetName, Measurement>>;
}

/** The round with the median deliveries per server CPU-second (the lower middle for an even count). */
export function medianByEfficiency(rounds: readonly Measurement[]): Measurement | undefined {
  const sorted = [...rounds].sort(
    (a, b) => a.deliveriesPerServerCpuSecond - b.deliveriesPerServerCpuSecond,
  );
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Every target carries the same load in turn, one window each per round, a different target
 * first each round, so a drift in the machine falls on all alike; per target the median round
 * by deliveries per server CPU-second. `use` gives a target for one window (started for it, or
 * one already up), `connect` makes the load's clients on it.
 */
export async function takeTurns(
  context: ScenarioContext,
  {
    label,
    targets,
    rounds,
    perSenderPerSec,
    use,
    connect,
  }: {
    label: string;
    targets: readonly TargetName[];
    rounds: number;
    perSenderPerSec: number;
    use<T>(name: TargetName, work: (target: RunningTarget) => Promise<T>): Promise<T>;
    connect(target: RunningTarget): Promise<Load>;
  },
): Promise<TurnsResult> {
  const results: TargetRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, index) => targets[(round + index) % targets.length]);
    for (const name of order as TargetName[]) {
      const measurement = await use(name, async (target) => {
        const load = await connect(target);
        try {
          return await measureAt(load, perSenderPerSec);
        } finally {
          await context.pool.closeClients();
        }
      });
      context.log(
        `  ${label}, round ${round + 1}, ${name}: ${Math.round(measurement.deliveredPerSec)} deliveries/s, ` +
          `server CPU ${Math.round(measurement.serverCpuPercent)} %, ` +
          `${Math.round(measurement.deliveriesPerServerCpuSecond)} per CPU-second, ` +
          `${measurement.serverWritesPerDelivery} writes and ${Math.round(measurement.serverBytesPerDelivery)} bytes per delivery`,
      );
      results.push({ target: name, measurement });
    }
  }
  return {
    perSenderPerSec,
    rounds: results,
    byTarget: medianRoundByTarget(results, targets, medianByEfficiency),
  };
}
