import type { RunningTarget, TargetName } from '../servers/targets';
import type { ScenarioContext } from './context';
import { fanoutRoomLoad } from './fanout';
import { manyRoomsLoad } from './many-rooms';
import type { Load } from './measure';
import { type TurnsResult, takeTurns } from './turns';

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

/** One load's turns: see turns.ts. */
export type EveryCoreLoadResult = TurnsResult;

export interface EveryCoreResult {
  targets: TargetName[];
  /** One room of `receivers`, one sender. */
  fanout: EveryCoreLoadResult & { receivers: number };
  /** Clients in rooms of `roomSize`, every one sending. */
  manyRooms: EveryCoreLoadResult & { clients: number; roomSize: number };
}

export async function runEveryCore(
  context: ScenarioContext,
  targets: readonly TargetName[],
): Promise<EveryCoreResult> {
  const { options } = context;
  const { fanoutRate, manyRoomsRate, seconds, rounds } = options.everyCore;

  const measureLoad = (
    label: string,
    perSenderPerSec: number,
    connect: (target: RunningTarget) => Promise<Load>,
  ) =>
    takeTurns(context, {
      label,
      targets,
      rounds,
      perSenderPerSec,
      // Each window on a target started for it (kept up across windows in a quick run).
      use: (name, work) => context.withTarget(name, work),
      connect,
    });

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
