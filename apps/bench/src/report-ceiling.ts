import { lineChartSvg, type Series } from './plot';
import { int, ms, ratio, table, times } from './report-format';
import type { CeilingResult } from './scenarios/ceiling';
import type { Measurement } from './scenarios/measure';
import type { TurnsResult } from './scenarios/turns';
import { TARGET_LABELS } from './servers/targets';

/** The ceiling scenario's part of the report (issue 15): the table, the goal and the curve. */

/** Issue 15: Parley's deliveries per server CPU-second at least this share of the ceiling's. */
const GOAL = 0.85;

interface Compared {
  load: TurnsResult;
  ceiling: Measurement;
  parley: Measurement;
  /** Another build of Parley, when the run had one (`--targets …,parley-baseline`). */
  baseline?: Measurement;
  /** Parley's deliveries per server CPU-second over the ceiling's. */
  efficiency: number | undefined;
  /** Both delivered what was offered: the load is one both sustain. */
  sustained: boolean;
}

function compared(load: TurnsResult): Compared | undefined {
  const ceiling = load.byTarget.ws;
  const parley = load.byTarget.parley;
  if (!ceiling || !parley) return undefined;
  return {
    load,
    ceiling,
    parley,
    baseline: load.byTarget['parley-baseline'],
    efficiency: ratio(parley.deliveriesPerServerCpuSecond, ceiling.deliveriesPerServerCpuSecond),
    sustained: !ceiling.saturated && !parley.saturated,
  };
}

function comparisons(result: CeilingResult | undefined): Compared[] {
  return (result?.loads ?? []).flatMap((load) => compared(load) ?? []);
}

export function renderCeiling(result: CeilingResult, rounds: number): string {
  const withBaseline = result.targets.includes('parley-baseline');
  const rows = comparisons(result).map(
    ({ load, ceiling, parley, baseline, efficiency, sustained }) => {
      const pair = (read: (m: Measurement) => string) => `${read(ceiling)} / ${read(parley)}`;
      return [
        int(load.perSenderPerSec),
        pair((m) => int(m.deliveredPerSec)),
        pair((m) => `${int(m.serverCpuPercent)} %`),
        pair((m) => int(m.deliveriesPerServerCpuSecond)),
        `**${times(efficiency)}**${sustained ? '' : ' (saturated)'}`,
        pair((m) => m.serverWritesPerDelivery.toFixed(3)),
        pair((m) => int(m.serverBytesPerDelivery)),
        pair((m) => ms(m.latency.p99Ms)),
        ...(withBaseline
          ? [
              baseline
                ? `${int(baseline.deliveriesPerServerCpuSecond)}: ${times(ratio(baseline.deliveriesPerServerCpuSecond, ceiling.deliveriesPerServerCpuSecond))}`
                : '–',
            ]
          : []),
      ];
    },
  );
  return [
    `### Fan-out against the ceiling at the same loads: one sender to ${int(result.receivers)} receivers (median round of ${rounds} by deliveries per server CPU-second)`,
    'The `ws` ceiling and Parley carry each load in turn. Per server CPU-second at the same load, not each at its own peak: there the faster server writes more frames per system call (each costs it less), and a server building a backlog delivers in the window frames it wrote before it (bytes per delivery below the frame’s size).',
    rows.length === 0
      ? '_not run_'
      : table(
          [
            'msg/s',
            'deliveries/s, ceiling / Parley',
            'server CPU',
            'deliveries per server CPU-second',
            'Parley ÷ ceiling',
            'write calls per delivery',
            'bytes written per delivery',
            'p99 ms',
            ...(withBaseline
              ? ['Parley’s other build (--baseline-main): per CPU-second, ÷ ceiling']
              : []),
          ],
          rows,
        ),
  ].join('\n\n');
}

/** The goal, read at the highest load both sustained. */
export function ceilingGoal(result: CeilingResult | undefined): {
  goal: string;
  measured: string;
  met: boolean | null;
} {
  const measured = comparisons(result);
  const top = measured.filter((c) => c.sustained && c.efficiency !== undefined).at(-1);
  const everyLoad = measured.map((c) => times(c.efficiency)).join(', ');
  return {
    goal: `fan-out per delivery ≥ ${GOAL}× the ws ceiling: deliveries per server CPU-second at the highest load both sustain, the same for both, in turns`,
    measured: top
      ? `${times(top.efficiency)} at ${int(top.load.perSenderPerSec)} msg/s (${int(top.parley.deliveriesPerServerCpuSecond)} vs ${int(top.ceiling.deliveriesPerServerCpuSecond)}); every load: ${everyLoad}`
      : 'not measured',
    met: top ? (top.efficiency as number) >= GOAL : null,
  };
}

export function ceilingProblems(result: CeilingResult | undefined): string[] {
  if (!result) return ['ceiling: no result'];
  return result.loads.length > 0 && comparisons(result).length === result.loads.length
    ? []
    : ['ceiling: a load without figures for both the ceiling and Parley'];
}

/** Deliveries per server CPU-second against the load, ceiling and Parley: the curve. */
export function ceilingCharts(result: CeilingResult | undefined): Record<string, string> {
  const measured = comparisons(result);
  if (!result || measured.length === 0) return {};
  const series = (name: 'ws' | 'parley', pick: (c: Compared) => Measurement): Series => ({
    name: TARGET_LABELS[name],
    points: measured.map((c) => [
      c.load.perSenderPerSec * result.receivers,
      pick(c).deliveriesPerServerCpuSecond,
    ]),
  });
  return {
    'ceiling-efficiency.svg': lineChartSvg({
      title: 'Fan-out at the same loads: deliveries per server CPU-second',
      xLabel: 'offered deliveries/s (one sender, log scale)',
      yLabel: 'deliveries per server CPU-second',
      series: [series('ws', (c) => c.ceiling), series('parley', (c) => c.parley)],
    }),
  };
}
