import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** cgroup v2: "<quota> <period>" in µs, or "max <period>" for no limit. */
const CGROUP_V2_CPU_MAX = '/sys/fs/cgroup/cpu.max';
/** cgroup v1: the quota (-1 for none) and the period, in µs, in two files. */
const CGROUP_V1_QUOTA = '/sys/fs/cgroup/cpu/cpu.cfs_quota_us';
const CGROUP_V1_PERIOD = '/sys/fs/cgroup/cpu/cpu.cfs_period_us';

/** Reads a file's text, or undefined when it is not there (no cgroup, another OS). */
export type ReadText = (path: string) => string | undefined;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * How many workers `PARLEY_WORKERS=auto` starts: the cores this process may run on, but no more
 * than its CPU quota allows. A container limited to 2 CPUs on a 64-core host sees 64 cores
 * (Node 20's `availableParallelism` reads the CPU affinity, not the cgroup's quota): 64 workers
 * would share 2 CPUs' time, each throttled in turn, every one's latency the worse for it. A
 * fractional quota rounds down (1.5 CPUs: one worker, never starved), and is at least one.
 */
export function workersForAuto(
  read: ReadText = readText,
  parallelism: number = availableParallelism(),
): number {
  const quota = cpuQuota(read);
  return quota === undefined ? parallelism : Math.max(1, Math.min(parallelism, Math.floor(quota)));
}

/** The CPUs' worth of time the cgroup allows per period, or undefined for none (or unreadable). */
export function cpuQuota(read: ReadText): number | undefined {
  const v2 = read(CGROUP_V2_CPU_MAX);
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    return ratio(quota, period);
  }
  return ratio(read(CGROUP_V1_QUOTA)?.trim(), read(CGROUP_V1_PERIOD)?.trim());
}

/** quota ÷ period for two positive integers; "max", -1 or anything else: no quota. */
function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  if (!quota || !period || !/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  const [q, p] = [Number(quota), Number(period)];
  return q > 0 && p > 0 && Number.isSafeInteger(q) && Number.isSafeInteger(p) ? q / p : undefined;
}
