import { describe, expect, it } from 'vitest';
import {
  medianStormRound,
  type StormResults,
  stormGoals,
  stormRoundCpuOver,
  stormRoundCpuPerClient,
  stormRoundCpuRatios,
  stormRoundRatios,
} from './report-storm';
import type { ReconnectStormResult, StormRun } from './scenarios/reconnect-storm';
import type { RestartSignal } from './servers/targets';

/** A storm with the figures the rounds' verdict reads; undefined: not everyone came back. */
function storm(signal: RestartSignal, allBackMs: number | undefined): StormRun {
  return {
    signal,
    clients: 100,
    back: allBackMs === undefined ? 90 : 100,
    allBackMs,
    backMs:
      allBackMs === undefined ? undefined : { p50: allBackMs / 2, p90: allBackMs, p99: allBackMs },
    restart: { exitMs: 10, listeningMs: 20, readyMs: 30 },
    joinFailures: {},
    refusals: {},
  } as unknown as StormRun;
}

function result(...runs: StormRun[]): ReconnectStormResult {
  return {
    clients: 100,
    rooms: 10,
    seedMessages: 20,
    setupSeconds: 1,
    runs,
  } as ReconnectStormResult;
}

/** Rounds of bare Socket.IO and one Parley node, SIGKILL only: [parley ms, bare ms] each. */
function rounds(...pairs: [number | undefined, number][]): StormResults[] {
  return pairs.map(([parley, bare]) => ({
    'parley-redis-1': result(storm('SIGKILL', parley)),
    socketio: result(storm('SIGKILL', bare)),
  }));
}

describe('the storm judged over rounds', () => {
  it('takes each ratio within its round and judges the goal by their median', () => {
    // Each target's median round is a different round here: 20 s (round 3) over 10 s (round 1)
    // would say 2×; the rounds' own ratios are 1×, 6× and 0.67×.
    const byRound = rounds([10_000, 10_000], [30_000, 5_000], [20_000, 30_000]);
    expect(stormRoundRatios(byRound, 'parley-redis-1', 'SIGKILL')).toEqual([1, 6, 0.67]);
    const [goal] = stormGoals(medianStormRound(byRound), byRound);
    expect(goal?.met).toBe(true);
    expect(goal?.measured).toMatch(/^1\.00× \(rounds: 1\.00×, 6\.00×, 0\.67×\)/);
  });

  it('does not meet the goal when the median round is over 2×', () => {
    const byRound = rounds([21_000, 10_000], [25_000, 10_000], [10_000, 10_000]);
    expect(stormGoals(medianStormRound(byRound), byRound)[0]?.met).toBe(false);
  });

  it('counts a round where not every Parley client came back as one the goal misses', () => {
    const byRound = rounds([10_000, 10_000], [undefined, 10_000], [11_000, 10_000]);
    expect(stormRoundRatios(byRound, 'parley-redis-1', 'SIGKILL')).toEqual([
      1,
      Number.POSITIVE_INFINITY,
      1.1,
    ]);
    // The median (1.1×) holds, the failed round shown as such.
    const [goal] = stormGoals(medianStormRound(byRound), byRound);
    expect(goal?.met).toBe(true);
    expect(goal?.measured).toContain('not all back');
    const worse = rounds([10_000, 10_000], [undefined, 10_000], [undefined, 10_000]);
    expect(stormGoals(medianStormRound(worse), worse)[0]?.met).toBe(false);
  });

  it('leaves the goal open when a round lacks a target', () => {
    const byRound = rounds([10_000, 10_000], [10_000, 10_000]);
    delete byRound[1]?.socketio;
    expect(stormGoals(medianStormRound(byRound), byRound)[0]?.met).toBeNull();
  });

  it("shows each target's median round by its SIGKILL storm", () => {
    const byRound: StormResults[] = [3_000, 1_000, 2_000].map((killMs, index) => ({
      'parley-redis-1': result(storm('SIGTERM', 10_000 - index), storm('SIGKILL', killMs)),
    }));
    const median = medianStormRound(byRound)['parley-redis-1'];
    expect(median?.runs.find((run) => run.signal === 'SIGKILL')?.allBackMs).toBe(2_000);
  });
});

describe("the rounds' server CPU per client back", () => {
  const withCpu = (run: StormRun, serverCpuSeconds: number, back: number): StormRun =>
    ({ ...run, serverCpuSeconds, back }) as StormRun;

  it('divides CPU per client back within each round, not the totals', () => {
    const byRound: StormResults[] = [
      {
        // Parley brought back half as many for the same CPU: twice the CPU per client.
        'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 4, 50)),
        socketio: result(withCpu(storm('SIGKILL', 5_000), 2, 100)),
      },
      {
        'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 9, 100)),
        socketio: result(withCpu(storm('SIGKILL', 5_000), 3, 100)),
      },
      // Bare did not run: no ratio for the round.
      { 'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 9, 100)) },
    ];
    expect(stormRoundCpuRatios(byRound, 'parley-redis-1', 'SIGKILL')).toEqual([4, 3, undefined]);
    // Each target's own figure, in ms a client: what an A/B of two builds reads.
    expect(stormRoundCpuPerClient(byRound, 'parley-redis-1', 'SIGKILL')).toEqual([80, 90, 90]);
    expect(stormRoundCpuPerClient(byRound, 'socketio', 'SIGKILL')).toEqual([20, 30, undefined]);
  });

  it('pairs a build with its baseline within each round', () => {
    const byRound: StormResults[] = [
      {
        'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 9, 100)),
        'parley-redis-1-baseline': result(withCpu(storm('SIGKILL', 10_000), 10, 100)),
      },
      {
        // A slow round for both: the pair's ratio stays.
        'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 18, 100)),
        'parley-redis-1-baseline': result(withCpu(storm('SIGKILL', 10_000), 20, 100)),
      },
      { 'parley-redis-1': result(withCpu(storm('SIGKILL', 10_000), 9, 100)) },
    ];
    expect(
      stormRoundCpuOver(byRound, ['parley-redis-1', 'parley-redis-1-baseline'], 'SIGKILL'),
    ).toEqual([0.9, 0.9, undefined]);
  });
});
