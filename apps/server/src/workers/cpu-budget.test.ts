import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuQuota, workersForAuto } from './cpu-budget';

const files =
  (contents: Record<string, string>) =>
  (path: string): string | undefined =>
    contents[path];
const v2 = (cpuMax: string) => files({ '/sys/fs/cgroup/cpu.max': cpuMax });
const v1 = (quota: string, period: string) =>
  files({
    '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': quota,
    '/sys/fs/cgroup/cpu/cpu.cfs_period_us': period,
  });

describe('PARLEY_WORKERS=auto', () => {
  it('starts one worker per core the CPU quota allows, rounding a fraction down, at least one', () => {
    expect(workersForAuto(v2('200000 100000\n'), 64)).toBe(2);
    expect(workersForAuto(v2('150000 100000\n'), 64)).toBe(1);
    expect(workersForAuto(v2('50000 100000\n'), 64)).toBe(1);
    expect(workersForAuto(v2('800000 100000\n'), 4)).toBe(4);
    expect(workersForAuto(v1('300000', '100000'), 8)).toBe(3);
  });

  it('starts one per core without a quota, or when the files are absent or unreadable', () => {
    expect(workersForAuto(v2('max 100000\n'), 6)).toBe(6);
    expect(workersForAuto(v1('-1', '100000'), 6)).toBe(6);
    expect(workersForAuto(files({}), 6)).toBe(6);
    expect(workersForAuto(v2('garbage'), 6)).toBe(6);
  });

  it('never fails and stays within 1..cores, whatever the files say', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .tuple(fc.bigInt({ min: -1n, max: 10n ** 25n }), fc.bigInt({ min: 0n, max: 10n ** 25n }))
        .map(([quota, period]) => `${quota} ${period}\n`),
    );
    fc.assert(
      fc.property(
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.integer({ min: 1, max: 1024 }),
        (cpuMax, quotaUs, cores) => {
          const read = files({
            ...(cpuMax !== undefined && { '/sys/fs/cgroup/cpu.max': cpuMax }),
            ...(quotaUs !== undefined && { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': quotaUs }),
            '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
          });
          const workers = workersForAuto(read, cores);
          expect(Number.isInteger(workers)).toBe(true);
          expect(workers).toBeGreaterThanOrEqual(1);
          expect(workers).toBeLessThanOrEqual(cores);
          const quota = cpuQuota(read);
          expect(quota === undefined || (Number.isFinite(quota) && quota > 0)).toBe(true);
        },
      ),
    );
  });
});
