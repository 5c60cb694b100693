import type { RunningTarget, TargetName } from '../servers/targets';
import type { ScenarioContext } from './context';
import { fanoutRoomLoad } from './fanout';
import { manyRoomsLoad } from './many-rooms';
import { type Load, type Measurement, measureAt, medianRoundByTarget } from './measure';

/**
 * What one host's cores cost: one Parley process (in memory, and over Redis), the same host's
 * PARLEY_WORKERS=2 (a primary handing connections to two worker processes, over Redis), and two
 * nodes over Redis. Each carries the same fixed load and is measured in deliveries per server
 * CPU-second (every server process and Redis counted): how much of each core's work reaches
 * clients once the work is split over processes. Every server process is pinned to the same
 * core(s) as elsewhere in the bench, so the figure is efficiency, not the extra cores' headroom.
 */
export const EVERY_CORE_TARGETS: readonly TargetName[] = [
  'parley',
  'parley-redis-1',
  'parley-workers',
  'parley-redis',
];

export interface EveryCoreLoadResult {
  /** Per sender: messages per second (one sender for the fan-out, every client for many rooms). */
  perSenderPerSec: number;
  /** Every round of each target, in the order they ran (targets take turns in each round). */
  rounds: { target: TargetName; measurement: Measurement }[];
  /** Per target: the round with the median deliveries per server CPU-second. */
  byTarget: Partial<Record<TargetName, Measurement>>;
}

export interface EveryCoreResult {
  targets: TargetName[];
  /** One room of `receivers`, one sender. */
  fanout: EveryCoreLoadResult & { receivers: number };
  /** Clients in rooms of `roomSize`, every one sending. */
  manyRooms: EveryCoreLoadResult & { clients: number; roomSize: number };
}

/** The round with the median deliveries per server CPU-second (the lower middle for an even count). */
export function medianByEfficiency(rounds: readonly Measurement[]): Measurement | undefined {
  const sorted = [...rounds].sort(
    (a, b) => a.deliveriesPerServerCpuSecond - b.deliveriesPerServerCpuSecond,
  );
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export async function runEveryCore(
  context: ScenarioContext,
  targets: readonly TargetName[],
): Promise<EveryCoreResult> {
  const { options, pool } = context;
  const { fanoutRate, manyRoomsRate, seconds, rounds } = options.everyCore;

  async function measureLoad(
    label: string,
    perSenderPerSec: number,
    connect: (target: RunningTarget) => Promise<Load>,
  ): Promise<EveryCoreLoadResult> {
    const results: EveryCoreLoadResult['rounds'] = [];
    for (let round = 0; round < rounds; round++) {
      // A different target starts each round, so a drift in the machine falls on all alike.
      const order = targets.map((_, index) => targets[(round + index) % targets.length]);
      for (const name of order as TargetName[]) {
        const measurement = await context.withTarget(name, async (target) => {
          const load = await connect(target);
          try {
            return await measureAt(load, perSenderPerSec);
          } finally {
            await pool.closeClients();
          }
        });
        context.log(
          `  ${label}, round ${round + 1}, ${name}: ${Math.round(measurement.deliveredPerSec)} deliveries/s, ` +
            `server CPU ${Math.round(measurement.serverCpuPercent)} %, ` +
            `${Math.round(measurement.deliveriesPerServerCpuSecond)} per CPU-second`,
        );
        results.push({ target: name, measurement });
      }
    }
    const byTarget = medianRoundByTarget(results, targets, medianByEfficiency);
    return { perSenderPerSec, rounds: results, byTarget };
  }

  const { receivers } = options.fanout;
  const fanout = await measureLoad('fan-out', fanoutRate, (target) =>
    fanoutRoomLoad(context, target, { receivers, durationMs: seconds * 1000 }),
  );
  const { clients, roomSize } = options.manyRooms;
  const manyRooms = await measureLoad(
    'many rooms',
    manyRoomsRate,
    async (target) =>
      (await manyRoomsLoad(context, target, { probeEvery: 5, durationMs: seconds * 1000 })).load,
  );
  return {
    targets: [...targets],
    fanout: { ...fanout, receivers },
    manyRooms: { ...manyRooms, clients, roomSize },
  };
}
