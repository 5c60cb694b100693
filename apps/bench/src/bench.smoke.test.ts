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
      { cwd: BENCH_DIR, timeout: 120_000, maxBuffer: 16 * 2 ** 20 },
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
    // Replicated acks: two nodes over Redis with a replica, WAIT off and WAIT 1.
    for (const name of ['parley-redis-replica', 'parley-redis-wait'] as const) {
      const figures = report.replicatedAcks?.byTarget[name];
      expect(figures?.ack.samples, `replicated acks ${name}: acks`).toBeGreaterThan(0);
      expect(
        figures?.delivery.samples,
        `replicated acks ${name}: deliveries on the other node`,
      ).toBeGreaterThan(0);
      expect(figures?.flatOut.deliveredPerSec, `replicated acks ${name}: flat out`).toBeGreaterThan(
        0,
      );
      expect(figures?.rejected, `replicated acks ${name}: sends refused`).toBe(0);
    }
    // The replica acknowledges writes: most WAITs answered 1. Not every one within its 500 ms —
    // CI runs this beside the other packages' suites on two cores, and one WAIT stalled past its
    // timeout there once (the measurement itself gives up at 10).
    const trip = report.replicatedAcks?.replicaRoundTrip;
    expect(trip?.setAndWait.samples).toBeGreaterThan(0);
    expect(trip?.unacknowledged).toBeLessThan((trip?.setAndWait.samples ?? 0) / 2);
    expect(report.replicatedAcks?.waitVsNoWait?.ackP99).toBeGreaterThan(0);
    // The big workspace: Parley only, measured at every size, each kind of room:list answered.
    for (const name of ['parley', 'parley-redis'] as const) {
      const sizes = report.bigWorkspace[name]?.sizes ?? [];
      expect(
        sizes.map((size) => size.rooms),
        `big workspace ${name}`,
      ).toEqual(report.options.bigWorkspace.sizes);
      for (const size of sizes) {
        const at = `big workspace ${name} at ${size.rooms} rooms`;
        expect(size.createdPerSec, `${at}: rooms made/s`).toBeGreaterThan(0);
        expect(size.createFailures, `${at}: rooms not made`).toBe(0);
        for (const kind of ['first', 'deep', 'prefix'] as const) {
          expect(size.lists[kind].answered, `${at}: room:list ${kind}`).toBeGreaterThan(0);
          expect(size.lists[kind].failed, `${at}: room:list ${kind} failed`).toBe(0);
          expect(size.lists[kind].latency.p99Ms, `${at}: room:list ${kind} p99`).toBeGreaterThan(0);
          expect(size.lists[kind].answerBytes, `${at}: room:list ${kind} bytes`).toBeGreaterThan(0);
        }
        expect(size.ack.p99Ms, `${at}: send ack p99`).toBeGreaterThan(0);
        expect(size.delivery.p99Ms, `${at}: delivery p99`).toBeGreaterThan(0);
        expect(size.rssBytes, `${at}: RSS`).toBeGreaterThan(0);
      }
    }
    expect(report.bigWorkspace.socketio).toBeUndefined();
    expect(report.bigWorkspace.ws).toBeUndefined();
    expect(
      report.ratios?.find((ratio) => ratio.metric.startsWith('fan-out'))?.parleyVsSocketio,
    ).toBeGreaterThan(0);
    expect(
      report.ratios?.find((ratio) => ratio.metric.startsWith('big workspace: room:list p99 ms')),
    ).toMatchObject({ baselines: 'n/a' });
    // The ceiling and Parley at the same load, with what each wrote per delivery.
    const [ceilingLoad] = report.ceiling?.loads ?? [];
    for (const name of ['ws', 'parley'] as const) {
      const figures = ceilingLoad?.byTarget[name];
      expect(figures?.deliveriesPerServerCpuSecond, `ceiling ${name}`).toBeGreaterThan(0);
      expect(figures?.serverWritesPerDelivery, `ceiling ${name}: writes`).toBeGreaterThan(0);
      expect(figures?.serverBytesPerDelivery, `ceiling ${name}: bytes`).toBeGreaterThan(0);
    }
    expect(readFileSync(join(out, 'ceiling-efficiency.svg'), 'utf8')).toContain('<svg');
    expect(report.goals).toHaveLength(9);
    const markdown = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(markdown).toContain('| sockets connected and joined |');
    expect(markdown).toContain('| deliveries/s at saturation |');
    expect(markdown).toContain('### Big workspace');
    expect(markdown).toContain('### Replicated acks');
  });

  it('measures presence churn on Parley: frames by event name, CPU, latency, and the curves', async () => {
    const churnOut = join(out, 'presence-churn');
    const { stdout } = await run(
      process.execPath,
      [
        ...['--import', 'tsx', 'src/cli.ts', '--', '--quick', '--scenarios', 'presence-churn'],
        ...['--targets', 'parley,socketio', '--out', churnOut],
      ],
      { cwd: BENCH_DIR, timeout: 100_000, maxBuffer: 16 * 2 ** 20 },
    );
    expect(stdout).toContain('### Presence churn');
    const report = JSON.parse(readFileSync(join(churnOut, 'latest.json'), 'utf8')) as BenchReport;
    expect(report.errors).toEqual([]);
    // Bare Socket.IO has no presence: skipped, not measured.
    expect(report.presenceChurn?.socketio).toBeUndefined();
    const sizes = report.presenceChurn?.parley?.sizes ?? [];
    expect(sizes.map((size) => size.members)).toEqual(report.options.presenceChurn.sizes);
    for (const size of sizes) {
      const at = `presence churn at ${size.members} members`;
      expect(size.connected, at).toBe(size.members);
      expect(size.noChurn.framesPerSecByEvent['message:new'], `${at}: messages`).toBeGreaterThan(0);
      expect(size.noChurn.latency.samples, `${at}: latency`).toBeGreaterThan(0);
      // Whatever the churn is announced with (presence:joined/left, room:updated, presence:changed):
      // more frames than the messages alone.
      const { 'message:new': messages = 0, ...announcements } = size.churn.framesPerSecByEvent;
      expect(messages, `${at}: messages with churn`).toBeGreaterThan(0);
      expect(
        Object.values(announcements).reduce((total, n) => total + n, 0),
        `${at}: churn announced`,
      ).toBeGreaterThan(0);
      expect(size.churn.joinsPerSec, `${at}: churn`).toBeGreaterThan(0);
      expect(size.churn.serverCpuPercent, `${at}: CPU`).toBeGreaterThan(0);
    }
    for (const figure of ['frames', 'cpu', 'p99']) {
      expect(readFileSync(join(churnOut, `presence-churn-${figure}.svg`), 'utf8')).toContain(
        '<polyline',
      );
    }
  });
});
