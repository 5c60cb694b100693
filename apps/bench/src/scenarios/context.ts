import type { ClientPool } from '../clients/pool';
import type { ClientSpec } from '../clients/raw-socketio';
import type { BenchOptions } from '../options';
import type { RunningTarget, TargetName } from '../servers/targets';

/** What every scenario gets from the harness. */
export interface ScenarioContext {
  options: BenchOptions;
  pool: ClientPool;
  log(line: string): void;
  /** Starts the target, runs `work` against it, and always stops it. */
  withTarget<T>(name: TargetName, work: (target: RunningTarget) => Promise<T>): Promise<T>;
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
