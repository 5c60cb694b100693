import type { ClientPool } from '../clients/pool';
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
