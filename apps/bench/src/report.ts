import type { LatencySummary } from './latency';
import type { BenchOptions } from './options';
import { lineChartSvg, type Series } from './plot';
import type { MachineDescription } from './proc-stats';
import { ceilingGoal, ceilingProblems, renderCeiling } from './report-ceiling';
import { everyCoreGoals, everyCoreProblems, renderEveryCore } from './report-every-core';
import { int, kib, ms, ratio, table, times } from './report-format';
import { renderReconnectStorm, stormGoals, stormProblems } from './report-storm';
import type { BigWorkspaceResult, WorkspaceSize } from './scenarios/big-workspace';
import { type CeilingResult, measuresCeiling } from './scenarios/ceiling';
import type { ConnectRateResult } from './scenarios/connect-rate';
import type { CrossNodeResult } from './scenarios/cross-node';
import type { EveryCoreResult } from './scenarios/every-core';
import type { FanoutResult } from './scenarios/fanout';
import type { IdleMemoryResult } from './scenarios/idle-memory';
import type { ManyRoomsResult } from './scenarios/many-rooms';
import type { Measurement } from './scenarios/measure';
import {
  CHURN_PHASES,
  type ChurnSize,
  PHASE_LABELS,
  type PhaseFigures,
  type PresenceChurnResult,
} from './scenarios/presence-churn';
import type { ParleyProfiles } from './scenarios/profile-parley';
import type { ReconnectStormResult } from './scenarios/reconnect-storm';
import { REPLICATED_ACKS_TARGETS, type ReplicatedAcksResult } from './scenarios/replicated-acks';
import type { SameLoadResult } from './scenarios/same-load';
import { TARGET_LABELS, type TargetName } from './servers/targets';

type PerTarget<T> = Partial<Record<TargetName, T>>;

export interface BenchReport {
  command: string;
  startedAt: string;
  finishedAt?: string;
  durationSeconds?: number;
  machine: MachineDescription;
  options: BenchOptions;
  fanout: PerTarget<FanoutResult>;
  /** Fan-out latency with every target at the same load (the latency scenario). */
  sameLoad?: SameLoadResult;
  manyRooms: PerTarget<ManyRoomsResult>;
  crossNode?: CrossNodeResult;
  /** One process, PARLEY_WORKERS=2 and two nodes at the same loads (issue 15). */
  everyCore?: EveryCoreResult;
  /** The ws ceiling and Parley at the same fan-out loads, in turns (issue 15). */
  ceiling?: CeilingResult;
  /** Two nodes over a Redis with a replica, acknowledging without and with WAIT 1. */
  replicatedAcks?: ReplicatedAcksResult;
  idleMemory: PerTarget<IdleMemoryResult>;
  connectRate: PerTarget<ConnectRateResult>;
  /** Parley only: bare Socket.IO and ws have no room list. */
  bigWorkspace: PerTarget<BigWorkspaceResult>;
  /** Parley targets only: bare Socket.IO and ws have no presence. */
  presenceChurn?: PerTarget<PresenceChurnResult>;
  /** Every node restarted under C idle clients (issue 15): Parley over Redis and bare Socket.IO. */
  reconnectStorm?: PerTarget<ReconnectStormResult>;
  /** With --storm-rounds N > 1: every round's storms (`reconnectStorm` holds each target's median round). */
  reconnectStormRounds?: PerTarget<ReconnectStormResult>[];
  ratios?: Ratio[];
  /** METRICS on (and scraped) against METRICS=false, when the run had those variants. */
  metricsCost?: MetricsCostRatio[];
  goals?: Goal[];
  profiles?: ParleyProfiles;
  /** Scenarios or targets that failed, with why: the rest of the report still stands. */
  errors: string[];
}

export interface Ratio {
  metric: string;
  /** Which way is better, so a reader can tell a good ratio from a bad one. */
  better: 'higher' | 'lower';
  parley?: number;
  socketio?: number;
  ws?: number;
  parleyVsSocketio?: number;
  parleyVsWs?: number;
  /** Set when bare Socket.IO and ws lack the feature measured (a room list): shown as n/a. */
  baselines?: 'n/a';
}

/** The issue's targets, checked against this run. */
export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

/** The same-load rate as the tables name it: how it was chosen, and its value. */
function sameLoadLabel(report: BenchReport): string {
  const { sameLoadRate } = report.options.fanout;
  const chosen =
    sameLoadRate === undefined && report.fanout.socketio
      ? 'half of bare Socket.IO’s peak'
      : 'a fixed rate';
  const rate = report.sameLoad?.messagesPerSec ?? sameLoadRate;
  return rate === undefined ? chosen : `${chosen} (${rate} msg/s)`;
}

/** "Parley 12.1, 13.0; bare Socket.IO 11.9, …": each target's rounds' p99, in order. */
function roundsByTarget(rounds: { target: TargetName; measurement: Measurement }[]): string {
  const names = (Object.keys(TARGET_LABELS) as TargetName[]).filter((name) =>
    rounds.some((round) => round.target === name),
  );
  return names
    .map(
      (name) =>
        `${TARGET_LABELS[name]} ${rounds
          .filter((round) => round.target === name)
          .map((round) => ms(round.measurement.latency.p99Ms))
          .join(', ')}`,
    )
    .join('; ');
}

function halfOf(result: FanoutResult | undefined): Measurement | undefined {
  return result?.atFraction.find((entry) => entry.fraction === 0.5)?.measurement;
}

/** A figure every target may have: the rows of both ratio tables. */
type Figure = [
  metric: string,
  better: Ratio['better'],
  pick: (name: TargetName) => number | undefined,
];

/**
 * The cost of metrics (issue 14): Parley as it ships (METRICS on, never scraped), scraped every
 * second, with METRICS=false, and a baseline build (before metrics), each figure side by side.
 */
export interface MetricsCostRatio {
  metric: string;
  better: 'higher' | 'lower';
  on?: number;
  off?: number;
  scraped?: number;
  baseline?: number;
  onVsOff?: number;
  scrapedVsOff?: number;
  onVsBaseline?: number;
}

export function computeRatios(report: BenchReport): Ratio[] {
  const rows: Ratio[] = [];
  for (const [metric, better, pick] of figures(report)) {
    const [parley, socketio, ws] = (['parley', 'socketio', 'ws'] as const).map(pick);
    if (parley === undefined) continue;
    rows.push({
      metric,
      better,
      parley,
      socketio,
      ws,
      parleyVsSocketio: ratio(parley, socketio),
      parleyVsWs: ratio(parley, ws),
    });
  }
  const workspace = smallestAndLargest(report.bigWorkspace.parley);
  if (workspace) {
    const { smallest, largest } = workspace;
    const rooms = `${int(largest.rooms)} rooms`;
    const growth = `${rooms} ÷ ${int(smallest.rooms)}`;
    const parleyOnly = (metric: string, parley: number | undefined) =>
      rows.push({ metric, better: 'lower', parley, baselines: 'n/a' });
    parleyOnly(`big workspace: room:list p99 ms, ${rooms}`, largest.lists.all.latency.p99Ms);
    parleyOnly(
      `big workspace: room:list p99, ${growth}`,
      ratio(largest.lists.all.latency.p99Ms, smallest.lists.all.latency.p99Ms),
    );
    parleyOnly(`big workspace: message:send ack p99 ms, ${rooms}`, largest.ack.p99Ms);
    parleyOnly(
      `big workspace: message:send ack p99, ${growth}`,
      ratio(largest.ack.p99Ms, smallest.ack.p99Ms),
    );
  }
  return rows;
}

/**
 * The cost of metrics (issue 14), figure by figure. Empty unless the run had Parley and
 * `parley-no-metrics` or `parley-baseline` (or `parley-scraped` and `parley-no-metrics`).
 */
export function computeMetricsCost(report: BenchReport): MetricsCostRatio[] {
  const rows: MetricsCostRatio[] = [];
  for (const [metric, better, pick] of figures(report)) {
    const [on, off, scraped, baseline] = (
      ['parley', 'parley-no-metrics', 'parley-scraped', 'parley-baseline'] as const
    ).map(pick);
    const onVsOff = ratio(on, off);
    const scrapedVsOff = ratio(scraped, off);
    const onVsBaseline = ratio(on, baseline);
    if (onVsOff === undefined && scrapedVsOff === undefined && onVsBaseline === undefined) continue;
    rows.push({ metric, better, on, off, scraped, baseline, onVsOff, scrapedVsOff, onVsBaseline });
  }
  return rows;
}

function figures(report: BenchReport): Figure[] {
  const rows: Figure[] = [];
  const add = (...figure: Figure) => rows.push(figure);
  add(
    'fan-out: deliveries/s at saturation',
    'higher',
    (name) => report.fanout[name]?.peak.deliveredPerSec,
  );
  add(
    'fan-out: deliveries per server CPU-second',
    'higher',
    (name) => report.fanout[name]?.peak.deliveriesPerServerCpuSecond,
  );
  add(
    `fan-out: p99 ms at the same load, ${sameLoadLabel(report)}`,
    'lower',
    (name) => report.sameLoad?.byTarget[name]?.latency.p99Ms,
  );
  add(
    'fan-out: p99 ms at 50 % of own saturation',
    'lower',
    (name) => halfOf(report.fanout[name])?.latency.p99Ms,
  );
  add(
    'many rooms: deliveries/s at saturation',
    'higher',
    (name) => report.manyRooms[name]?.peak.deliveredPerSec,
  );
  add(
    'many rooms: deliveries per server CPU-second',
    'higher',
    (name) => report.manyRooms[name]?.peak.deliveriesPerServerCpuSecond,
  );
  add(
    'idle memory: RSS bytes per joined socket',
    'lower',
    (name) => report.idleMemory[name]?.rssPerSocketBytes,
  );
  add('connect + join per second', 'higher', (name) => report.connectRate[name]?.joinsPerSec);
  // What a join costs the server: the comparison that holds when the load generator, not the
  // server, set the pace (joins/s then measures the generator).
  add('connect + join: server CPU ms per join', 'lower', (name) => {
    const result = report.connectRate[name];
    // A run in which nobody joined has no cost per join (its 0 would read as the best ratio).
    return result && result.connected > 0 ? result.serverCpuMsPerJoin : undefined;
  });
  return rows;
}

/** The first and the last size measured in the big workspace, when there are two. */
function smallestAndLargest(
  result: BigWorkspaceResult | undefined,
): { smallest: WorkspaceSize; largest: WorkspaceSize } | undefined {
  const smallest = result?.sizes[0];
  const largest = result?.sizes.at(-1);
  return smallest && largest && largest !== smallest ? { smallest, largest } : undefined;
}

export function checkGoals(report: BenchReport): Goal[] {
  const parley = report.fanout.parley;
  const bare = report.fanout.socketio;
  const goals: Goal[] = [];
  const throughput = ratio(parley?.peak.deliveredPerSec, bare?.peak.deliveredPerSec);
  goals.push({
    goal: 'fan-out throughput at saturation ≥ 1.0× bare Socket.IO',
    measured: throughput === undefined ? 'not measured' : `${throughput}×`,
    met: throughput === undefined ? null : throughput >= 1,
  });
  const sameP99 = report.sameLoad?.byTarget.parley?.latency.p99Ms;
  const bareSameP99 = report.sameLoad?.byTarget.socketio?.latency.p99Ms;
  goals.push({
    goal: `fan-out p99 at half saturation ≤ bare Socket.IO’s: at ${sameLoadLabel(report)}, the same load for both, interleaved (median of ${report.options.fanout.sameLoadRounds} rounds)`,
    measured:
      sameP99 === undefined || bareSameP99 === undefined
        ? 'not measured'
        : `${sameP99} ms vs ${bareSameP99} ms`,
    met: sameP99 === undefined || bareSameP99 === undefined ? null : sameP99 <= bareSameP99,
  });
  const p99 = halfOf(parley)?.latency.p99Ms;
  const bareP99 = halfOf(bare)?.latency.p99Ms;
  const loadRatio = ratio(halfOf(parley)?.deliveredPerSec, halfOf(bare)?.deliveredPerSec);
  goals.push({
    goal: `the same, each at half of its own saturation (Parley then carries ${loadRatio ?? '?'}× bare’s load)`,
    measured:
      p99 === undefined || bareP99 === undefined ? 'not measured' : `${p99} ms vs ${bareP99} ms`,
    met: p99 === undefined || bareP99 === undefined ? null : p99 <= bareP99,
  });
  const memory = ratio(
    report.idleMemory.parley?.rssPerSocketBytes,
    report.idleMemory.socketio?.rssPerSocketBytes,
  );
  goals.push({
    goal: 'memory per idle joined socket ≤ 1.2× bare Socket.IO’s',
    measured: memory === undefined ? 'not measured' : `${memory}×`,
    met: memory === undefined ? null : memory <= 1.2,
  });
  goals.push({
    goal: `idle sockets at scale (issue 15; ${int(report.options.memory.sockets)} here): memory per joined socket ≤ 1.0× bare Socket.IO’s`,
    measured: memory === undefined ? 'not measured' : `${memory}×`,
    met: memory === undefined ? null : memory <= 1.0,
  });
  const workers = report.idleMemory['parley-workers'];
  const bareMemory = report.idleMemory.socketio;
  const workersMemory = ratio(workers?.rssPerSocketBytes, bareMemory?.rssPerSocketBytes);
  goals.push({
    goal: 'idle sockets at scale on one host, past one process’s open files (issue 15): a PARLEY_WORKERS node’s memory per joined socket (primary, workers and Redis) ≤ 1.0× bare Socket.IO’s (one process, as many as it may hold)',
    measured:
      workersMemory === undefined || !workers || !bareMemory
        ? 'not measured'
        : `${workersMemory}×: ${int(workers.connected)} sockets vs ${int(bareMemory.connected)}`,
    met: workersMemory === undefined ? null : workersMemory <= 1.0,
  });
  const single = report.crossNode?.byTarget.parley?.latency.p99Ms;
  const cross = report.crossNode?.byTarget['parley-redis']?.latency.p99Ms;
  goals.push({
    goal: `cross-node p99 at ${report.crossNode?.deliveriesPerSec ?? 5000} deliveries/s ≤ single-node p99 + 3 ms`,
    measured:
      single === undefined || cross === undefined
        ? 'not measured'
        : `${cross} ms vs ${single} ms + 3`,
    met: single === undefined || cross === undefined ? null : cross <= single + 3,
  });
  // The median, not p99: with a few hundred lists a window, p99 is one noisy neighbour away.
  const workspace = smallestAndLargest(report.bigWorkspace.parley);
  const listGrowth = workspace
    ? ratio(workspace.largest.lists.all.latency.p50Ms, workspace.smallest.lists.all.latency.p50Ms)
    : undefined;
  goals.push({
    goal: `room:list p50 with ${workspace ? int(workspace.largest.rooms) : 'the most'} rooms ≤ 1.5× with ${workspace ? int(workspace.smallest.rooms) : 'the fewest'}, Parley single node (a page costs its size, not the workspace’s)`,
    measured:
      workspace && listGrowth !== undefined
        ? `${listGrowth}×: p50 ${ms(workspace.largest.lists.all.latency.p50Ms)} vs ${ms(workspace.smallest.lists.all.latency.p50Ms)} ms (p99 ${ms(workspace.largest.lists.all.latency.p99Ms)} vs ${ms(workspace.smallest.lists.all.latency.p99Ms)} ms)`
        : 'not measured',
    met: listGrowth === undefined ? null : listGrowth <= 1.5,
  });
  if (report.reconnectStorm)
    goals.push(...stormGoals(report.reconnectStorm, report.reconnectStormRounds));
  if (report.options.scenarios.includes('every-core'))
    goals.push(...everyCoreGoals(report.everyCore));
  if (report.options.scenarios.includes('ceiling')) goals.push(ceilingGoal(report.ceiling));
  return goals;
}

/** What is wrong with a run for the smoke test: a target with no figures where it should have some. */
export function findProblems(report: BenchReport): string[] {
  const problems = [...report.errors];
  const { scenarios, targets } = report.options;
  const expect = (condition: boolean, what: string) => {
    if (!condition) problems.push(what);
  };
  for (const name of targets) {
    if (scenarios.includes('fanout')) {
      const result = report.fanout[name];
      expect((result?.peak.deliveredPerSec ?? 0) > 0, `fanout/${name}: no deliveries`);
      expect((result?.peak.latency.samples ?? 0) > 0, `fanout/${name}: no latency samples`);
      expect((result?.peak.serverCpuPercent ?? 0) > 0, `fanout/${name}: no server CPU measured`);
      expect(
        (result?.peak.generatorCpuPercent ?? 0) > 0,
        `fanout/${name}: no generator CPU measured`,
      );
    }
    if (scenarios.includes('latency') && name !== 'parley-redis') {
      expect(
        (report.sameLoad?.byTarget[name]?.latency.samples ?? 0) > 0,
        `latency/${name}: no latency samples at the same load`,
      );
    }
    if (scenarios.includes('many-rooms')) {
      const result = report.manyRooms[name];
      expect((result?.peak.deliveredPerSec ?? 0) > 0, `many-rooms/${name}: no deliveries`);
      expect((result?.atHalf.latency.samples ?? 0) > 0, `many-rooms/${name}: no latency samples`);
    }
    if (scenarios.includes('memory') && name !== 'parley-redis') {
      expect(
        (report.idleMemory[name]?.rssPerSocketBytes ?? 0) > 0,
        `memory/${name}: no memory per socket`,
      );
    }
    if (scenarios.includes('connect')) {
      const result = report.connectRate[name];
      expect(
        (result?.joinsPerSec ?? 0) > 0 && result?.failed === 0,
        `connect/${name}: joins failed or none`,
      );
    }
  }
  if (scenarios.includes('big-workspace')) {
    for (const name of ['parley', 'parley-redis'] as const) {
      if (!targets.includes(name)) continue;
      const sizes = report.bigWorkspace[name]?.sizes ?? [];
      expect(sizes.length > 0, `big-workspace/${name}: no size measured`);
      for (const size of sizes) {
        const at = `big-workspace/${name} at ${size.rooms} rooms`;
        expect(size.createFailures === 0, `${at}: rooms not made`);
        for (const kind of ['first', 'deep', 'prefix'] as const) {
          const list = size.lists[kind];
          expect(list.answered > 0 && list.failed === 0, `${at}: room:list ${kind} failed or none`);
          expect(list.answerBytes > 0, `${at}: room:list ${kind} answers empty`);
        }
        expect(size.ack.samples > 0 && size.rejectedMessages === 0, `${at}: sends not acked`);
        expect(size.delivery.samples > 0, `${at}: no deliveries`);
        expect(size.rssBytes > 0, `${at}: no RSS`);
      }
    }
  }
  if (scenarios.includes('replicated-acks') && targets.includes('parley-redis')) {
    for (const name of REPLICATED_ACKS_TARGETS) {
      const figures = report.replicatedAcks?.byTarget[name];
      expect((figures?.ack.samples ?? 0) > 0, `replicated-acks/${name}: no ack latency samples`);
      expect(
        (figures?.delivery.samples ?? 0) > 0,
        `replicated-acks/${name}: no delivery latency samples`,
      );
      expect(
        (figures?.flatOut.deliveredPerSec ?? 0) > 0,
        `replicated-acks/${name}: no deliveries flat out`,
      );
      expect(figures?.rejected === 0, `replicated-acks/${name}: sends refused`);
    }
  }
  if (scenarios.includes('presence-churn')) {
    for (const name of targets.filter((target) => target.startsWith('parley'))) {
      const sizes = report.presenceChurn?.[name]?.sizes ?? [];
      expect(sizes.length > 0, `presence-churn/${name}: no size measured`);
      for (const size of sizes) {
        const at = `presence-churn/${name} at ${size.members} members`;
        expect(size.connected === size.members, `${at}: ${size.connected} joined`);
        for (const phase of CHURN_PHASES) {
          const figures = size[phase];
          expect(figures.latency.samples > 0, `${at}, ${phase}: no latency samples`);
          expect(figures.framesPerSec > 0, `${at}, ${phase}: no frames`);
          expect(figures.serverCpuPercent > 0, `${at}, ${phase}: no server CPU`);
          expect(figures.disconnects === 0, `${at}, ${phase}: members disconnected`);
        }
        expect(size.churn.joinsPerSec > 0, `${at}: no churn joins`);
        expect(size.churn.failedJoins === 0, `${at}: churn joins failed`);
      }
    }
  }
  if (scenarios.includes('reconnect-storm'))
    problems.push(
      ...stormProblems(report.reconnectStorm ?? {}, report.options, report.reconnectStormRounds),
    );
  if (scenarios.includes('every-core')) problems.push(...everyCoreProblems(report.everyCore));
  if (scenarios.includes('ceiling') && measuresCeiling(targets))
    problems.push(...ceilingProblems(report.ceiling));
  if (scenarios.includes('cross-node')) {
    for (const name of ['parley', 'parley-redis'] as const) {
      if (!targets.includes(name)) continue;
      expect(
        (report.crossNode?.byTarget[name]?.latency.samples ?? 0) > 0,
        `cross-node/${name}: no latency samples`,
      );
    }
  }
  return problems;
}

// ---- Markdown ----

/** Targets as columns, metrics as rows. */
function byTarget<T>(results: PerTarget<T>, rows: [string, (result: T) => string][]): string {
  // Always in the labels' order (ceiling, baseline, Parley), whatever order the targets ran in.
  const names = (Object.keys(TARGET_LABELS) as TargetName[]).filter(
    (name) => results[name] !== undefined,
  );
  if (names.length === 0) return '_not run_';
  return table(
    ['', ...names.map((name) => TARGET_LABELS[name])],
    rows.map(([label, cell]) => [label, ...names.map((name) => cell(results[name] as T))]),
  );
}

function generatorCores(options: BenchOptions, machineCores: number): number {
  const cpus = options.pin?.generatorCpus;
  if (!cpus) return machineCores;
  const [first, last] = cpus.split('-').map(Number);
  return last === undefined ? 1 : last - (first ?? 0) + 1;
}

/**
 * What stopped the peak from going higher: a server near a full core, the load generator near
 * all of its cores, or neither, when other processes on the machine took the CPU.
 */
export function limitOf(
  peak: Pick<Measurement, 'serverCpuPercent' | 'generatorCpuPercent'>,
  options: BenchOptions,
  machineCores: number,
): string {
  if (peak.serverCpuPercent >= 90) return 'server CPU';
  if (peak.generatorCpuPercent >= 90 * generatorCores(options, machineCores))
    return 'generator CPU';
  return 'neither full: machine';
}

/** The peak, flagged when no step saturated: then it is a floor, not the capacity. */
function peakCell(steps: Measurement[], peak: Measurement): string {
  return steps.some((step) => step.saturated)
    ? int(peak.deliveredPerSec)
    : `≥ ${int(peak.deliveredPerSec)} (not saturated)`;
}

function latencyCell(measured: Measurement | LatencySummary | undefined): string {
  if (!measured) return '–';
  const { p50Ms, p95Ms, p99Ms } = 'latency' in measured ? measured.latency : measured;
  return `${ms(p50Ms)} / ${ms(p95Ms)} / ${ms(p99Ms)}`;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** Sizes as columns (the curve), one table per target, and the largest size against the smallest. */
function renderBigWorkspace(report: BenchReport): string {
  const { bigWorkspace: options } = report.options;
  const largestSize = options.sizes.at(-1) ?? 0;
  const heading =
    `### Big workspace: room:list and message:send as one workspace grows to ${int(largestSize)} rooms\n\n` +
    `${options.lobbies} lobbies ask ${options.listsPerSec} room:list/s in all, pages of 50 in turn: the first page, ` +
    'a page after a cursor anywhere in the index, and a prefix search (the narrowest prefix that still fills a page); ' +
    `meanwhile one member sends ${options.messagesPerSec} message:send/s to ${options.members - 1} others in one room. ` +
    'Rooms are made by joining and leaving them, so they stay, empty. ' +
    `${options.windowMs / 1000} s measured per size. Bare Socket.IO and ws: n/a (no room list).`;
  const tables: string[] = [];
  for (const name of ['parley', 'parley-redis'] as const) {
    const result = report.bigWorkspace[name];
    if (!result || result.sizes.length === 0) continue;
    const { sizes } = result;
    const ends = smallestAndLargest(result);
    const growthHeader = ends
      ? `${int(ends.largest.rooms)} ÷ ${int(ends.smallest.rooms)} rooms (p99 for latency)`
      : '';
    const row = (
      label: string,
      cell: (size: WorkspaceSize) => string,
      figure?: (size: WorkspaceSize) => number,
    ): string[] => [
      label,
      ...sizes.map(cell),
      ...(ends ? [figure ? times(ratio(figure(ends.largest), figure(ends.smallest))) : ''] : []),
    ];
    const latency = (summary: (size: WorkspaceSize) => LatencySummary) => (size: WorkspaceSize) =>
      `${ms(summary(size).p50Ms)} / ${ms(summary(size).p95Ms)} / ${ms(summary(size).p99Ms)}`;
    const p99 = (summary: (size: WorkspaceSize) => LatencySummary) => (size: WorkspaceSize) =>
      summary(size).p99Ms;
    const lists = [
      ['first page', (size: WorkspaceSize) => size.lists.first],
      ['page after a cursor', (size: WorkspaceSize) => size.lists.deep],
      ['prefix search', (size: WorkspaceSize) => size.lists.prefix],
    ] as const;
    const rows = [
      ...lists.map(([label, pick]) =>
        row(
          `room:list, ${label}: p50 / p95 / p99 ms`,
          latency((size) => pick(size).latency),
          p99((size) => pick(size).latency),
        ),
      ),
      row(
        'room:list answer bytes (first page)',
        (size) => int(size.lists.first.answerBytes),
        (size) => size.lists.first.answerBytes,
      ),
      row(
        'message:send ack: p50 / p95 / p99 ms',
        latency((size) => size.ack),
        p99((size) => size.ack),
      ),
      row(
        'message delivery: p50 / p95 / p99 ms',
        latency((size) => size.delivery),
        p99((size) => size.delivery),
      ),
      row(
        'server CPU',
        (size) => `${int(size.serverCpuPercent)} %`,
        (size) => size.serverCpuPercent,
      ),
      row('generator CPU', (size) => `${int(size.generatorCpuPercent)} %`),
      row(
        name === 'parley-redis' ? 'server RSS after GC (nodes + Redis)' : 'server RSS after GC',
        (size) => mib(size.rssBytes),
        (size) => size.rssBytes,
      ),
      row(
        name === 'parley-redis' ? 'V8 heap in use (both nodes)' : 'V8 heap in use',
        (size) => mib(size.heapUsedBytes),
        (size) => size.heapUsedBytes,
      ),
      row('rooms made per second, up to this size', (size) => int(size.createdPerSec)),
    ];
    tables.push(
      `${table(
        [
          TARGET_LABELS[name],
          ...sizes.map((size) => `${int(size.rooms)} rooms`),
          ...(ends ? [growthHeader] : []),
        ],
        rows,
      )}${
        ends
          ? `\n\nPer room from ${int(ends.smallest.rooms)} to ${int(ends.largest.rooms)} rooms: ${int(result.rssPerRoomBytes)} bytes of RSS, ${int(result.heapPerRoomBytes)} of V8 heap (RSS before any room: ${mib(result.emptyRssBytes)}).`
          : ''
      }`,
    );
  }
  return [heading, ...(tables.length ? tables : ['_not run_'])].join('\n\n');
}

/** The two configurations as columns, and WAIT ÷ no WAIT. */
function renderReplicatedAcks(result: ReplicatedAcksResult, options: BenchOptions): string {
  const { roomSize, clients, messagesPerSec } = result;
  const { rounds, seconds, flatOutSeconds, window } = options.replicatedAcks;
  const off = result.byTarget['parley-redis-replica'];
  const on = result.byTarget['parley-redis-wait'];
  const trip = result.replicaRoundTrip;
  type Figures = NonNullable<typeof off>;
  const percentiles = (summary: LatencySummary | undefined) =>
    summary ? [summary.p50Ms, summary.p95Ms, summary.p99Ms] : [];
  /** A cell per configuration, and WAIT ÷ no WAIT of each figure in it. */
  const row = (
    label: string,
    cell: (figures: Figures) => string,
    figures?: (figures: Figures) => (number | undefined)[],
  ) => {
    const ratios =
      figures && off && on
        ? figures(on).map((value, index) => times(ratio(value, figures(off)[index])))
        : [];
    return [label, off ? cell(off) : '–', on ? cell(on) : '–', ratios.join(' / ')];
  };
  const latency = (pick: (figures: Figures) => LatencySummary | undefined) =>
    [(f: Figures) => latencyCell(pick(f)), (f: Figures) => percentiles(pick(f))] as const;
  const rows = [
    row('send → ack (node A): p50 / p95 / p99 ms', ...latency((f) => f.ack)),
    row('send → delivery on node B: p50 / p95 / p99 ms', ...latency((f) => f.delivery)),
    row(
      `server CPU at ${int(messagesPerSec)} msg/s (nodes, Redis, replica)`,
      (f) => `${int(f.serverCpuPercent)} %`,
      (f) => [f.serverCpuPercent],
    ),
    row(
      'flat out: messages/s sent',
      (f) => int(f.flatOut.sentMessagesPerSec),
      (f) => [f.flatOut.sentMessagesPerSec],
    ),
    row(
      'flat out: deliveries/s',
      (f) => int(f.flatOut.deliveredPerSec),
      (f) => [f.flatOut.deliveredPerSec],
    ),
    row('flat out: server CPU', (f) => `${int(f.flatOut.serverCpuPercent)} %`),
    row('flat out: send → ack p50 / p95 / p99 ms', ...latency((f) => f.flatOut.ackLatency)),
    row('sends refused (all windows)', (f) => int(f.rejected)),
  ];
  const label = (name: TargetName) => TARGET_LABELS[name];
  let turn = 0;
  const perRound = table(
    [
      'round',
      'configuration',
      'ack p50 / p99 ms',
      'delivery on B p50 / p99 ms',
      'server CPU',
      'flat out: deliveries/s',
    ],
    result.rounds.map((round) => {
      const { atRate, flatOut } = round;
      return [
        String(Math.floor(turn++ / REPLICATED_ACKS_TARGETS.length) + 1),
        label(round.target),
        `${ms(atRate.ackLatency?.p50Ms)} / ${ms(atRate.ackLatency?.p99Ms)}`,
        `${ms(atRate.latency.p50Ms)} / ${ms(atRate.latency.p99Ms)}`,
        `${int(atRate.serverCpuPercent)} %`,
        int(flatOut.deliveredPerSec),
      ];
    }),
  );
  return (
    `### Replicated acks: ${int(messagesPerSec)} msg/s in rooms of ${roomSize}, two nodes over Redis with a replica, WAIT off and WAIT 1 interleaved (medians of ${rounds} rounds)\n\n` +
    `${clients} clients, each room's members alternating between the nodes: node A's ${clients / 2} send (${window} unacknowledged at most), node B's only receive, so every delivery timed crossed nodes. ` +
    `Each turn: ${seconds} s at ${int(messagesPerSec)} msg/s, then ${flatOutSeconds} s flat out (every sender as fast as its acks allow). ` +
    'Latency and CPU: each the median of the rounds’; flat out: the round with the median deliveries/s.\n\n' +
    table(['', label('parley-redis-replica'), label('parley-redis-wait'), 'WAIT ÷ no WAIT'], rows) +
    `\n\nEvery round, in order:\n\n${perRound}` +
    (trip
      ? `\n\nRedis alone, idle, one write at a time: SET + WAIT 1 p50 ${int(trip.setAndWait.p50)} / p99 ${int(trip.setAndWait.p99)} µs, ` +
        `SET + PING p50 ${int(trip.setAndPing.p50)} / p99 ${int(trip.setAndPing.p99)} µs: WAIT adds ≈ ${int(trip.setAndWait.p50 - trip.setAndPing.p50)} µs at p50 here (the replica round trip)` +
        (trip.unacknowledged > 0 ? `; ${trip.unacknowledged} WAITs timed out` : '') +
        '.'
      : '')
  );
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, options } = report;
  const parts: string[] = [];
  parts.push(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}; ` +
      `load average ${machine.loadAverageAtStart} at start, ${machine.loadAverageAtEnd ?? '?'} at end. ` +
      (options.pin
        ? `Servers pinned to CPU ${options.pin.serverCpus} (two nodes and Redis share it), load generator to CPU ${options.pin.generatorCpus}. `
        : 'Processes not pinned. ') +
      `Run: \`${report.command}\`, ${report.startedAt}, ${Math.round(report.durationSeconds ?? 0)} s.`,
  );

  const limit = (peak: Pick<Measurement, 'serverCpuPercent' | 'generatorCpuPercent'>) =>
    limitOf(peak, options, machine.cores);
  const fanoutRows: [string, (result: FanoutResult) => string][] = [
    ['deliveries/s at saturation', (r) => peakCell(r.steps, r.peak)],
    ['what limited it', (r) => limit(r.peak)],
    ['messages/s at saturation', (r) => int(r.peak.sentMessagesPerSec)],
    ['server CPU at saturation', (r) => `${int(r.peak.serverCpuPercent)} %`],
    ['deliveries per server CPU-second', (r) => int(r.peak.deliveriesPerServerCpuSecond)],
    ['generator CPU at saturation', (r) => `${int(r.peak.generatorCpuPercent)} %`],
  ];
  for (const fraction of options.fanout.fractions) {
    fanoutRows.push([
      `p50 / p95 / p99 ms at ${fraction * 100} %`,
      (r) => latencyCell(r.atFraction.find((entry) => entry.fraction === fraction)?.measurement),
    ]);
  }
  fanoutRows.push(['bytes per delivered frame', (r) => int(r.frameBytes)]);
  parts.push(
    `### Fan-out: one room, ${options.fanout.receivers} receivers, one sender\n\n${byTarget(report.fanout, fanoutRows)}`,
  );

  parts.push(
    `### Many rooms: ${options.manyRooms.clients} clients in rooms of ${options.manyRooms.roomSize}, everyone sending\n\n` +
      byTarget(report.manyRooms, [
        ['deliveries/s at saturation', (r) => peakCell(r.steps, r.peak)],
        ['what limited it', (r) => limit(r.peak)],
        ['messages/s at saturation', (r) => int(r.peak.sentMessagesPerSec)],
        ['server CPU at saturation', (r) => `${int(r.peak.serverCpuPercent)} %`],
        ['deliveries per server CPU-second', (r) => int(r.peak.deliveriesPerServerCpuSecond)],
        ['generator CPU at saturation', (r) => `${int(r.peak.generatorCpuPercent)} %`],
        ['p50 / p95 / p99 ms at 50 %', (r) => latencyCell(r.atHalf)],
      ]),
  );

  if (report.sameLoad) {
    const { sameLoad } = report;
    parts.push(
      `### Fan-out latency at the same load: ${sameLoadLabel(report)} to ${sameLoad.receivers} receivers, targets interleaved (median round of ${options.fanout.sameLoadRounds})\n\n` +
        byTarget(sameLoad.byTarget, [
          ['deliveries/s', (m) => int(m.deliveredPerSec)],
          ['p50 / p95 / p99 ms', (m) => latencyCell(m)],
          ['server CPU', (m) => `${int(m.serverCpuPercent)} %`],
          ['generator CPU', (m) => `${int(m.generatorCpuPercent)} %`],
        ]) +
        `\n\np99 ms of each round, in order: ${roundsByTarget(sameLoad.rounds)}.`,
    );
  }

  if (report.crossNode) {
    const { crossNode } = report;
    parts.push(
      `### Cross-node: ${int(crossNode.deliveriesPerSec)} deliveries/s to ${crossNode.receivers} receivers (median round of ${options.crossNode.rounds})\n\n` +
        byTarget(crossNode.byTarget, [
          ['deliveries/s', (m) => int(m.deliveredPerSec)],
          ['p50 / p95 / p99 ms', (m) => latencyCell(m)],
          ['server CPU (nodes + Redis)', (m) => `${int(m.serverCpuPercent)} %`],
        ]) +
        `\n\np99 ms of each round, in order: ${roundsByTarget(crossNode.rounds)}.`,
    );
  }

  if (report.replicatedAcks) parts.push(renderReplicatedAcks(report.replicatedAcks, options));
  if (report.everyCore) parts.push(renderEveryCore(report.everyCore, options.everyCore.rounds));
  if (report.ceiling) parts.push(renderCeiling(report.ceiling, options.ceiling.rounds));

  parts.push(
    `### Idle memory: ${int(options.memory.sockets)} connected, authenticated sockets, each joined to a room\n\n` +
      'A target of one process holds at most what one process may open here (`ulimit -Hn`); ' +
      'a PARLEY_WORKERS node counts its primary, its workers and its Redis.\n\n' +
      byTarget(report.idleMemory, [
        ['sockets connected and joined', (r) => `${int(r.connected)} of ${int(r.sockets)}`],
        ['RSS per socket (after GC)', (r) => kib(r.rssPerSocketBytes)],
        ['V8 heap per socket', (r) => kib(r.heapPerSocketBytes)],
        ['RSS at 0 sockets', (r) => `${(r.before.rssBytes / 2 ** 20).toFixed(0)} MiB`],
        ['RSS with the sockets', (r) => `${(r.after.rssBytes / 2 ** 20).toFixed(0)} MiB`],
      ]),
  );

  parts.push(
    `### Connect + join: ${int(options.connect.clients)} clients, rooms of ${options.connect.roomSize}, one workspace\n\n` +
      byTarget(report.connectRate, [
        ['joins/s', (r) => int(r.joinsPerSec)],
        [
          'joins/s on the just-started process (first turn, not measured)',
          (r) => (r.coldJoinsPerSec === undefined ? 'n/a (no warm-up)' : int(r.coldJoinsPerSec)),
        ],
        ['p50 / p99 ms per client', (r) => `${ms(r.duration.p50Ms)} / ${ms(r.duration.p99Ms)}`],
        ['server CPU', (r) => `${int(r.serverCpuPercent)} %`],
        ['server CPU per join', (r) => `${r.serverCpuMsPerJoin} ms`],
        ['generator CPU (its own core)', (r) => `${int(r.generatorCpuPercent)} %`],
        ['what set the pace', (r) => limit(r)],
        ['failed', (r) => int(r.failed)],
      ]),
  );

  parts.push(renderBigWorkspace(report));
  if (report.options.scenarios.includes('presence-churn')) parts.push(renderPresenceChurn(report));
  if (report.options.scenarios.includes('reconnect-storm'))
    parts.push(
      renderReconnectStorm(report.reconnectStorm ?? {}, options, report.reconnectStormRounds),
    );

  if (report.ratios?.length) {
    parts.push(
      `### Ratios\n\n${table(
        ['metric', 'better', 'Parley', 'bare Socket.IO', 'ws', 'Parley / Socket.IO', 'Parley / ws'],
        report.ratios.map((row) => [
          row.metric,
          row.better,
          String(row.parley ?? '–'),
          row.baselines ?? String(row.socketio ?? '–'),
          row.baselines ?? String(row.ws ?? '–'),
          row.baselines ?? times(row.parleyVsSocketio),
          row.baselines ?? times(row.parleyVsWs),
        ]),
      )}`,
    );
  }
  if (report.metricsCost?.length) {
    const label = (name: TargetName) => TARGET_LABELS[name];
    const rows = report.metricsCost;
    const columns: [string, (row: MetricsCostRatio) => string][] = [
      ['metric', (row) => row.metric],
      ['better', (row) => row.better],
      [label('parley'), (row) => String(row.on ?? '–')],
      [label('parley-no-metrics'), (row) => String(row.off ?? '–')],
      [label('parley-scraped'), (row) => String(row.scraped ?? '–')],
      [label('parley-baseline'), (row) => String(row.baseline ?? '–')],
      ['on ÷ off', (row) => times(row.onVsOff)],
      ['scraped ÷ off', (row) => times(row.scrapedVsOff)],
      ['on ÷ baseline', (row) => times(row.onVsBaseline)],
    ];
    // Only the columns this run has figures for.
    const shown = columns.filter(
      ([, cell], index) => index < 2 || rows.some((row) => cell(row) !== '–'),
    );
    parts.push(
      `### Metrics: on against off\n\n${label('parley')}: as it ships (METRICS on, /metrics never fetched)${
        report.options.baselineMain ? `; baseline build: \`${report.options.baselineMain}\`` : ''
      }. Same figures as above: on "higher is better" rows a ratio under 1 is a cost, on "lower" rows a ratio over 1.\n\n${table(
        shown.map(([header]) => header),
        rows.map((row) => shown.map(([, cell]) => cell(row))),
      )}`,
    );
  }
  if (report.goals?.length) {
    parts.push(
      `### The issue's targets\n\n${table(
        ['target', 'measured', 'met'],
        report.goals.map((goal) => [
          goal.goal,
          goal.measured,
          goal.met === null ? '–' : goal.met ? 'yes' : 'no',
        ]),
      )}`,
    );
  }
  if (report.errors.length)
    parts.push(`### Errors\n\n${report.errors.map((error) => `- ${error}`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}

// ---- Presence churn ----

/** Event names in the order shown: the known ones first, then whatever else arrived. */
const KNOWN_EVENTS = ['message:new', 'presence:joined', 'presence:left', 'room:updated'];

function churnEventNames(results: PresenceChurnResult[]): string[] {
  const seen = new Set<string>();
  for (const result of results) {
    for (const size of result.sizes) {
      for (const phase of CHURN_PHASES)
        for (const name of Object.keys(size[phase].framesPerSecByEvent)) seen.add(name);
    }
  }
  const others = [...seen].filter((name) => !KNOWN_EVENTS.includes(name)).sort();
  return [...KNOWN_EVENTS, ...others];
}

function churnTargets(report: BenchReport): [TargetName, PresenceChurnResult][] {
  return (Object.keys(TARGET_LABELS) as TargetName[])
    .filter((name) => report.presenceChurn?.[name])
    .map((name) => [name, report.presenceChurn?.[name] as PresenceChurnResult]);
}

/** a ÷ b when both are positive: a negative churn cost is noise, not something to divide. */
function positiveRatio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && a > 0 && b > 0 ? ratio(a, b) : undefined;
}

/** The room's size, and what it reached when that was less. */
function membersCell(size: ChurnSize): string {
  return size.connected === size.members
    ? int(size.members)
    : `${int(size.members)} (reached ${int(size.connected)})`;
}

/** Per target: one row per size and phase, then the churn's cost; and targets side by side. */
function renderPresenceChurn(report: BenchReport): string {
  const { presenceChurn: options } = report.options;
  const results = churnTargets(report);
  const heading =
    `### Presence churn: one room of N idle members, ${options.messagesPerSec} msg/s from one of them, ` +
    `with and without ${options.joinsPerSec} joins/s + ${options.joinsPerSec} leaves/s\n\n` +
    `Each churn client is a fresh user: it connects, joins the room, and ${options.lifetimeMs / 1000} s later leaves it ` +
    '(every other one with room:leave, the rest by disconnecting), so the room stays about N. ' +
    `${options.windowMs / 1000} s measured per size and phase, after ${options.warmupMs / 1000} s of warm-up ` +
    '(and one churn lifetime with churn). Frames: Socket.IO event packets received per second by the N members together, by event name. ' +
    'Latency: send → each member’s message:new. ' +
    'Bare Socket.IO and ws: n/a (no presence, no counterpart). Figures: `presence-churn-frames.svg`, ' +
    '`presence-churn-cpu.svg`, `presence-churn-p99.svg` beside this report.';
  if (results.length === 0) return `${heading}\n\n_not run_`;
  const events = churnEventNames(results.map(([, result]) => result));
  // The known names always (a 0 says the server sent none), then whatever else arrived.
  const shownEvents = events;
  const tables: string[] = [];
  for (const [name, result] of results) {
    const rows: string[][] = [];
    for (const size of result.sizes) {
      for (const phase of CHURN_PHASES) {
        const figures: PhaseFigures = size[phase];
        rows.push([
          membersCell(size),
          PHASE_LABELS[phase],
          `${int(figures.serverCpuPercent)} %`,
          `${int(figures.generatorCpuPercent)} %`,
          int(figures.framesPerSec),
          ...shownEvents.map((event) => int(figures.framesPerSecByEvent[event] ?? 0)),
          figures.latency.samples > 0
            ? `${ms(figures.latency.p50Ms)} / ${ms(figures.latency.p99Ms)}`
            : 'none delivered (server behind)',
          phase === 'churn' ? `${figures.joinsPerSec} / ${figures.leavesPerSec}` : '–',
        ]);
      }
    }
    const costRows = result.sizes.map((size: ChurnSize) => [
      membersCell(size),
      `${size.cost.serverCpuPercent >= 0 ? '+' : ''}${size.cost.serverCpuPercent.toFixed(1)} pp`,
      `${size.cost.framesPerSec >= 0 ? '+' : ''}${int(size.cost.framesPerSec)}`,
      times(size.p99Ratio),
      `${size.setupSeconds} s`,
    ]);
    const { growth } = result;
    tables.push(
      `${TARGET_LABELS[name]}\n\n${table(
        [
          'members',
          'phase',
          'server CPU',
          'generator CPU',
          'frames/s (all)',
          ...shownEvents.map((event) => `${event}/s`),
          'message p50 / p99 ms',
          'churn joins/s / leaves/s',
        ],
        rows,
      )}\n\n${table(
        [
          'members',
          'churn cost: server CPU',
          'churn cost: frames/s',
          'p99 churn ÷ no churn',
          'room grown in',
        ],
        costRows,
      )}${
        growth
          ? `\n\nChurn cost at ${int(growth.to)} members ÷ at ${int(growth.from)}: server CPU ${times(growth.serverCpu)}, frames/s ${times(growth.frames)}.`
          : ''
      }`,
    );
  }
  if (results.length > 1) {
    const sizes = [...new Set(results.flatMap(([, r]) => r.sizes.map((size) => size.members)))];
    const at = (result: PresenceChurnResult, members: number) =>
      result.sizes.find((size) => size.members === members);
    const columns: [string, (size: ChurnSize | undefined) => string][] = [
      ['churn CPU cost', (size) => (size ? `${size.cost.serverCpuPercent.toFixed(1)} pp` : '–')],
      ['churn frames/s cost', (size) => (size ? int(size.cost.framesPerSec) : '–')],
      ['p99 churn ms', (size) => (size ? ms(size.churn.latency.p99Ms) : '–')],
    ];
    // Before/after: Parley's churn cost against the baseline build's, per size.
    const parley = report.presenceChurn?.parley;
    const baseline = report.presenceChurn?.['parley-baseline'];
    const ratios: [string, (members: number) => string][] =
      parley && baseline
        ? [
            [
              'churn CPU cost, Parley ÷ baseline',
              (members) =>
                times(
                  positiveRatio(
                    at(parley, members)?.cost.serverCpuPercent,
                    at(baseline, members)?.cost.serverCpuPercent,
                  ),
                ),
            ],
            [
              'churn frames/s cost, Parley ÷ baseline',
              (members) =>
                times(
                  positiveRatio(
                    at(parley, members)?.cost.framesPerSec,
                    at(baseline, members)?.cost.framesPerSec,
                  ),
                ),
            ],
          ]
        : [];
    tables.push(
      `Side by side\n\n${table(
        [
          'members',
          ...columns.flatMap(([label]) =>
            results.map(([name]) => `${label}, ${TARGET_LABELS[name]}`),
          ),
          ...ratios.map(([label]) => label),
        ],
        sizes.map((members) => [
          int(members),
          ...columns.flatMap(([, cell]) => results.map(([, result]) => cell(at(result, members)))),
          ...ratios.map(([, cell]) => cell(members)),
        ]),
      )}`,
    );
  }
  return [heading, ...tables].join('\n\n');
}

/** The scenario's curves as SVG files (name → text): frames/s, server CPU and p99 against N. */
export function presenceChurnCharts(report: BenchReport): Record<string, string> {
  const results = churnTargets(report);
  if (results.length === 0) return {};
  const chart = (title: string, yLabel: string, pick: (figures: PhaseFigures) => number) =>
    lineChartSvg({
      title,
      xLabel: 'room size (members)',
      yLabel,
      series: results.flatMap(([name, result]) =>
        CHURN_PHASES.map(
          (phase): Series => ({
            name: `${TARGET_LABELS[name]}, ${PHASE_LABELS[phase]}`,
            colorGroup: name,
            dashed: phase === 'noChurn',
            points: result.sizes.map((size) => [size.connected, pick(size[phase])]),
          }),
        ),
      ),
    });
  return {
    'presence-churn-frames.svg': chart(
      'Presence churn: frames/s received by the members',
      'frames/s, all members',
      (figures) => figures.framesPerSec,
    ),
    'presence-churn-cpu.svg': chart(
      'Presence churn: server CPU',
      'server CPU, % of one core',
      (figures) => figures.serverCpuPercent,
    ),
    'presence-churn-p99.svg': chart(
      'Presence churn: message delivery p99',
      'p99 ms, send → message:new',
      (figures) => figures.latency.p99Ms,
    ),
  };
}
