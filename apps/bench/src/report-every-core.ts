import { int, ms, ratio, table, times } from './report-format';
import type { EveryCoreLoadResult, EveryCoreResult } from './scenarios/every-core';
import type { Measurement } from './scenarios/measure';
import { TARGET_LABELS, type TargetName } from './servers/targets';

/** The every-core scenario's part of the report (issue 15): tables, ratios, goals. */

/** What the goals compare with: one process. */
const ONE_PROCESS: TargetName = 'parley';

function efficiency(load: EveryCoreLoadResult, name: TargetName): number | undefined {
  return load.byTarget[name]?.deliveriesPerServerCpuSecond;
}

/** `name`'s deliveries per CPU-second over `base`'s, in one load. */
export function efficiencyRatio(
  load: EveryCoreLoadResult,
  name: TargetName,
  base: TargetName,
): number | undefined {
  return ratio(efficiency(load, name), efficiency(load, base));
}

function loadTable(result: EveryCoreResult, load: EveryCoreLoadResult): string {
  const names = result.targets.filter((name) => load.byTarget[name] !== undefined);
  if (names.length === 0) return '_not run_';
  const cell = (read: (m: Measurement, name: TargetName) => string) =>
    names.map((name) => read(load.byTarget[name] as Measurement, name));
  const rounds = (name: TargetName) =>
    load.rounds
      .filter((round) => round.target === name)
      .map((round) => int(round.measurement.deliveriesPerServerCpuSecond))
      .join(', ');
  return table(
    ['', ...names.map((name) => TARGET_LABELS[name])],
    [
      ['deliveries/s', ...cell((m) => int(m.deliveredPerSec))],
      ['server CPU (every process and Redis)', ...cell((m) => `${int(m.serverCpuPercent)} %`)],
      [
        '**deliveries per server CPU-second**',
        ...cell((m) => `**${int(m.deliveriesPerServerCpuSecond)}**`),
      ],
      [
        '÷ one process (Parley, in memory)',
        ...cell((_, name) => times(efficiencyRatio(load, name, ONE_PROCESS))),
      ],
      [
        '÷ one process over Redis',
        ...cell((_, name) => times(efficiencyRatio(load, name, 'parley-redis-1'))),
      ],
      ['p50 / p99 ms', ...cell((m) => `${ms(m.latency.p50Ms)} / ${ms(m.latency.p99Ms)}`)],
      ['per CPU-second, each round', ...names.map(rounds)],
    ],
  );
}

export function renderEveryCore(result: EveryCoreResult, rounds: number): string {
  const { fanout, manyRooms } = result;
  return [
    `### Every core: one process, PARLEY_WORKERS=2 and two nodes at the same load (median round of ${rounds} by deliveries per CPU-second)`,
    'Each set-up carries the same fixed load, in turn, round after round; its server processes (a workers primary and its workers, every node, Redis) are pinned to the same core as every server in the bench, so the figures compare what a delivery costs once the work is split over processes, not what more cores add.',
    `#### Fan-out: one sender, ${int(fanout.perSenderPerSec)} msg/s to ${int(fanout.receivers)} receivers\n\n${loadTable(result, fanout)}`,
    `#### Many rooms: ${int(manyRooms.clients)} clients in rooms of ${manyRooms.roomSize}, each sending ${manyRooms.perSenderPerSec} msg/s\n\n${loadTable(result, manyRooms)}`,
  ].join('\n\n');
}

export function everyCoreGoals(
  result: EveryCoreResult | undefined,
): { goal: string; measured: string; met: boolean | null }[] {
  const goal = (label: string, load: EveryCoreLoadResult | undefined, name: TargetName) => {
    const measured = load && efficiencyRatio(load, name, ONE_PROCESS);
    return {
      goal: `${label}: deliveries per server CPU-second ≥ 0.8× one process’s`,
      measured:
        measured === undefined
          ? 'not measured'
          : `${measured}× (${int(efficiency(load as EveryCoreLoadResult, name))} vs ${int(efficiency(load as EveryCoreLoadResult, ONE_PROCESS))})`,
      met: measured === undefined ? null : measured >= 0.8,
    };
  };
  return [
    goal('PARLEY_WORKERS=2, fan-out', result?.fanout, 'parley-workers'),
    goal('PARLEY_WORKERS=2, many rooms', result?.manyRooms, 'parley-workers'),
    goal('cross-node fan-out, two nodes over Redis', result?.fanout, 'parley-redis'),
  ];
}

/** What would make the figures meaningless: a set-up that delivered (almost) nothing. */
export function everyCoreProblems(result: EveryCoreResult | undefined): string[] {
  if (!result) return ['every-core: no result'];
  const problems: string[] = [];
  for (const [label, load] of [
    ['fan-out', result.fanout],
    ['many rooms', result.manyRooms],
  ] as const) {
    for (const name of result.targets) {
      const measured = load.byTarget[name];
      if (!measured || measured.deliveredPerSec < 0.5 * measured.expectedDeliveriesPerSec)
        problems.push(`every-core/${label}/${name}: delivered under half of what was offered`);
    }
  }
  return problems;
}
