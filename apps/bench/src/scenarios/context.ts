import type { ClientPool } from '../clients/pool';
import type { ClientSpec } from '../clients/raw-socketio';
import type { BenchOptions } from '../options';
import type { RunningTarget, TargetName } from '../servers/targets';

/** What every scenario gets from the harness. */
export interface ScenarioContext {
  options: BenchOptions;
  pool: ClientPool;
  log(line: string): void;
  /**
   * Runs `work` against the target and closes every client after it. The target is started for
   * it and stopped after it, except in a quick run, where one process per target serves every
   * scenario that takes it this way (see servers/target-runner.ts).
   */
  withTarget<T>(name: TargetName, work: (target: RunningTarget) => Promise<T>): Promise<T>;
  /** `withTarget` on a target started for `work` alone, even in a quick run: for figures that
   * depend on the process's past (memory, a workspace's size, restarts). */
  withFreshTarget<T>(name: TargetName, work: (target: RunningTarget) => Promise<T>): Promise<T>;
}

/**
 * Every target in `names` up at once (each started, and always stopped, by the harness), then
 * `work` with them by name: for scenarios whose targets take turns.
 */
export async function withTargetsUp<T>(
  context: ScenarioContext,
  names: readonly TargetName[],
  work: (running: ReadonlyMap<TargetName, RunningTarget>) => Promise<T>,
): Promise<T> {
  const running = new Map<TargetName, RunningTarget>();
  const startAll = async (remaining: readonly TargetName[]): Promise<T> => {
    const [first, ...rest] = remaining;
    if (first === undefined) return work(running);
    return context.withTarget(first, async (target) => {
      running.set(first, target);
      return startAll(rest);
    });
  };
  return startAll(names);
}

/** Source addresses for client connections: each has its own range of ephemeral ports. */
export function sourceAddress(index: number): string {
  return `127.0.0.${2 + (index % 8)}`;
}

/**
 * `clients` clients spread over rooms of `roomSize` in one workspace, over every URL of the
 * target, each from one of several loopback source addresses.
 */
export function clientsInRooms(
  urls: readonly string[],
  clients: number,
  roomSize: number,
  { sends, probeEvery }: { sends: boolean; probeEvery?: number },
): ClientSpec[] {
  return Array.from({ length: clients }, (_, index) => ({
    url: urls[index % urls.length] as string,
    workspace: 'bench',
    room: `room-${Math.floor(index / roomSize)}`,
    userId: `user-${index}`,
    probe: probeEvery !== undefined && index % probeEvery === 0,
    sends,
    localAddress: sourceAddress(index),
  }));
}
