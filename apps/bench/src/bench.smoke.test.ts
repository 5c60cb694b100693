import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_DIR } from './paths';
import type { BenchReport } from './report';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'parley-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * The CI smoke test: `pnpm bench -- --quick` works end to end and reports sane figures for every
 * server. It asserts that the harness measures, never how fast anything is.
 */
describe('pnpm bench --quick', () => {
  it('measures every scenario on every server and writes the table and the JSON', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--', '--quick', '--out', out],
      { cwd: BENCH_DIR, timeout: 110_000, maxBuffer: 16 * 2 ** 20 },
    );
    expect(stdout).toContain('### Fan-out');

    const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchReport;
    expect(report.errors).toEqual([]);
    expect(report.machine.cores).toBeGreaterThan(0);
    for (const name of ['ws', 'socketio', 'parley', 'parley-redis'] as const) {
      const fanout = report.fanout[name];
      expect(fanout?.peak.deliveredPerSec, `fan-out ${name}`).toBeGreaterThan(0);
      expect(fanout?.peak.serverCpuPercent, `fan-out ${name} server CPU`).toBeGreaterThan(0);
      expect(
        fanout?.atFraction[0]?.measurement.latency.samples,
        `fan-out ${name} latency`,
      ).toBeGreaterThan(0);
      expect(
        fanout?.atFraction[0]?.measurement.latency.p99Ms,
        `fan-out ${name} p99`,
      ).toBeGreaterThan(0);
      expect(report.manyRooms[name]?.peak.deliveredPerSec, `many rooms ${name}`).toBeGreaterThan(0);
      expect(report.connectRate[name]?.failed, `connect ${name}`).toBe(0);
      expect(report.connectRate[name]?.joinsPerSec, `connect ${name}`).toBeGreaterThan(0);
    }
    // The latency scenario ran every single-node target at one rate: half of bare Socket.IO's peak.
    const bare = report.fanout.socketio;
    const halfOfBare = (bare?.peak.deliveredPerSec ?? 0) / (bare?.receivers ?? 1) / 2;
    expect(report.sameLoad?.messagesPerSec).toBe(Math.max(1, Math.round(halfOfBare)));
    for (const name of ['ws', 'socketio', 'parley'] as const) {
      expect(report.sameLoad?.byTarget[name]?.latency.samples, `same load ${name}`).toBeGreaterThan(
        0,
      );
    }
    for (const name of ['ws', 'socketio', 'parley'] as const) {
      expect(report.idleMemory[name]?.rssPerSocketBytes, `memory ${name}`).toBeGreaterThan(0);
    }
    expect(report.crossNode?.byTarget['parley-redis']?.latency.samples).toBeGreaterThan(0);
    expect(report.crossNode?.byTarget.parley?.latency.samples).toBeGreaterThan(0);
    expect(
      report.ratios?.find((ratio) => ratio.metric.startsWith('fan-out'))?.parleyVsSocketio,
    ).toBeGreaterThan(0);
    expect(report.goals).toHaveLength(5);
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain(
      '| deliveries/s at saturation |',
    );
  });
});
