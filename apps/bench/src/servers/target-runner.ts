import type { ClientPool } from '../clients/pool';
import type { RunningTarget, TargetName } from './targets';

export interface TargetRunner {
  /** Runs `work` against `name`'s target; see `ScenarioContext.withTarget`. */
  run<T>(
    name: TargetName,
    work: (target: RunningTarget) => Promise<T>,
    options?: { fresh?: boolean },
  ): Promise<T>;
  /** Stops every target still kept. */
  stopAll(): Promise<void>;
}

/**
 * Starts targets for scenarios. With `keep` (the quick smoke run), a target started once serves
 * every later scenario that does not ask for a fresh one: starting Parley with Redis costs seconds,
 * which a full run can afford per scenario and a run that must stay under a minute cannot. Figures
 * that depend on a process's past (memory, a workspace's size) always get a fresh process.
 */
export function createTargetRunner({
  keep,
  start,
  pool,
}: {
  keep: boolean;
  start: (name: TargetName) => Promise<RunningTarget>;
  pool: ClientPool;
}): TargetRunner {
  const kept = new Map<TargetName, RunningTarget>();

  const acquire = async (name: TargetName, reuse: boolean): Promise<RunningTarget> => {
    const running = reuse ? kept.get(name) : undefined;
    if (running && running.failure() === undefined) return running;
    if (running) {
      kept.delete(name);
      await running.stop().catch(() => {});
    }
    const target = await start(name);
    if (reuse) kept.set(name, target);
    return target;
  };

  return {
    async run(name, work, { fresh = false } = {}) {
      const reuse = keep && !fresh;
      const target = await acquire(name, reuse);
      try {
        return await work(target);
      } finally {
        await pool.closeClients().catch(() => {});
        if (!reuse) await target.stop();
      }
    },
    async stopAll() {
      const targets = [...kept.values()];
      kept.clear();
      await Promise.all(targets.map((target) => target.stop().catch(() => {})));
    },
  };
}
