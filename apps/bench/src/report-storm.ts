import { medianBy, medianOf } from './median';
import type { BenchOptions } from './options';
import { lineChartSvg, type Series } from './plot';
import { int, ms, ratio, table, times } from './report-format';
import type { ReconnectStormResult, StormRun } from './scenarios/reconnect-storm';
import type { RestartSignal } from './servers/targets';
import { TARGET_LABELS, type TargetName } from './servers/targets';

/** The reconnect storm's part of the report (issue 15): tables, ratios, goal, curves. */

export type StormResults = Partial<Record<TargetName, ReconnectStormResult>>;

/**
 * The Parley targets the issue's goal is judged for — two nodes over Redis, and one (like for
 * like with bare Socket.IO's one process on the servers' core) — and the baseline.
 */
const PARLEY_TARGETS: readonly TargetName[] = ['parley-redis', 'parley-redis-1'];
const BARE: TargetName = 'socketio';

/** The Parley targets of the goal that ran; the first of them when none did. */
function parleyTargetsOf(results: StormResults): TargetName[] {
  const ran = PARLEY_TARGETS.filter((name) => results[name] !== undefined);
  return ran.length > 0 ? ran : [PARLEY_TARGETS[0] as TargetName];
}

const secs = (value: number | undefined) =>
  value === undefined ? 'not all' : `${(value / 1000).toFixed(2)} s`;

/** ws's words for an attempt ended before its handshake: the client's connect timeout. */
const LABELS: Record<string, string> = {
  'WebSocket was closed before the connection was established': 'no handshake in time',
};

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map).sort(([, a], [, b]) => b - a);
  return entries.length === 0
    ? 'none'
    : entries.map(([key, n]) => `${LABELS[key] ?? key} ${int(n)}`).join(', ');
}

function runsOf(results: StormResults): [TargetName, ReconnectStormResult][] {
  return (Object.keys(TARGET_LABELS) as TargetName[])
    .filter((name) => results[name])
    .map((name) => [name, results[name] as ReconnectStormResult]);
}

function runOf(results: StormResults, name: TargetName, signal: RestartSignal) {
  return results[name]?.runs.find((run) => run.signal === signal);
}

/** Parley's time back ÷ bare's, per signal: all back, p50, p99. */
export function stormRatios(
  results: StormResults,
  parleyTarget: TargetName,
): {
  signal: RestartSignal;
  allBack?: number;
  p50?: number;
  p99?: number;
  fromReady?: number;
}[] {
  const signals = [
    ...new Set(runsOf(results).flatMap(([, result]) => result.runs.map((run) => run.signal))),
  ];
  return signals.map((signal) => {
    const parley = runOf(results, parleyTarget, signal);
    const bare = runOf(results, BARE, signal);
    return {
      signal,
      allBack: ratio(parley?.allBackMs, bare?.allBackMs),
      p50: ratio(parley?.backMs?.p50, bare?.backMs?.p50),
      p99: ratio(parley?.backMs?.p99, bare?.backMs?.p99),
      fromReady:
        parley?.allBackMs !== undefined && bare?.allBackMs !== undefined
          ? ratio(parley.allBackMs - parley.restart.readyMs, bare.allBackMs - bare.restart.readyMs)
          : undefined,
    };
  });
}

/** A storm's all-back time, a storm that did not bring everyone back last. */
const allBackOf = (run: StormRun | undefined) => run?.allBackMs ?? Number.POSITIVE_INFINITY;

/** The storm the rounds are compared by: the crash's (SIGKILL), else the first signal's. */
const judgedRun = (result: ReconnectStormResult) =>
  result.runs.find((run) => run.signal === 'SIGKILL') ?? result.runs[0];

/**
 * Per target, its round with the median all-back time (of its SIGKILL storm; the lower middle
 * one for an even count of rounds): what the report's main table shows. Targets' median rounds
 * may be different rounds: ratios are taken within each round (`stormRoundRatios`).
 */
export function medianStormRound(byRound: readonly StormResults[]): StormResults {
  const median: StormResults = {};
  for (const name of Object.keys(TARGET_LABELS) as TargetName[]) {
    const rounds = byRound.flatMap((round) => (round[name] ? [round[name]] : []));
    const picked = medianBy(rounds, (result) => allBackOf(judgedRun(result)));
    if (picked) median[name] = picked;
  }
  return median;
}

/**
 * Each round's all-back ratio for `signal`, Parley's ÷ bare's: infinite where Parley's storm
 * did not bring everyone back (the goal cannot hold there), undefined where either did not run.
 */
export function stormRoundRatios(
  byRound: readonly StormResults[],
  parleyTarget: TargetName,
  signal: RestartSignal,
): (number | undefined)[] {
  return byRound.map((round) => {
    const parley = runOf(round, parleyTarget, signal);
    const bare = runOf(round, BARE, signal);
    if (!parley || !bare) return undefined;
    if (parley.allBackMs === undefined) return Number.POSITIVE_INFINITY;
    return stormRatios(round, parleyTarget).find((entry) => entry.signal === signal)?.allBack;
  });
}

/**
 * Each round's server CPU per client back (every node and Redis, signal → all back), Parley's ÷
 * bare's: what the storm's time follows while Parley's core is busy the whole storm, and a
 * figure the machine's speed moves less than the times. Undefined where either did not run or
 * brought nobody back.
 */
export function stormRoundCpuRatios(
  byRound: readonly StormResults[],
  parleyTarget: TargetName,
  signal: RestartSignal,
): (number | undefined)[] {
  return stormRoundCpuOver(byRound, [parleyTarget, BARE], signal);
}

/**
 * Each round's server CPU per client back for one target, in ms (its processes: the nodes and
 * Redis): what an A/B of two builds reads, as the machine's speed drifts between rounds more
 * than a change moves the all-back time.
 */
export function stormRoundCpuPerClient(
  byRound: readonly StormResults[],
  target: TargetName,
  signal: RestartSignal,
): (number | undefined)[] {
  return byRound.map((round) => {
    const run = runOf(round, target, signal);
    return run && run.back > 0 ? (run.serverCpuSeconds / run.back) * 1000 : undefined;
  });
}

/** The builds an A/B storm compares: each baseline build beside the build it is the baseline of. */
const AB_PAIRS: readonly (readonly [TargetName, TargetName])[] = [
  ['parley-redis-1', 'parley-redis-1-baseline'],
  ['parley', 'parley-baseline'],
];

/**
 * Each round's server CPU per client back of `target` over `against`'s, side by side in the
 * round (Parley over bare; a build over its baseline: a slow spell of the machine that lasts a
 * round moves both, mostly, not the ratio). Undefined where either did not run or brought nobody
 * back.
 */
export function stormRoundCpuOver(
  byRound: readonly StormResults[],
  [target, against]: readonly [TargetName, TargetName],
  signal: RestartSignal,
): (number | undefined)[] {
  const targets = stormRoundCpuPerClient(byRound, target, signal);
  const others = stormRoundCpuPerClient(byRound, against, signal);
  return targets.map((value, index) => {
    const other = others[index];
    return value === undefined || other === undefined || other === 0 ? undefined : value / other;
  });
}

/** The median of the rounds' ratios, when every round has one. */
function medianRatio(ratios: readonly (number | undefined)[]): number | undefined {
  const known = ratios.filter((value): value is number => value !== undefined);
  return known.length === ratios.length && known.length > 0 ? medianOf(known) : undefined;
}

/** A round's ratio as the tables give it. */
const ratioText = (value: number | undefined) =>
  value === Number.POSITIVE_INFINITY ? 'not all back' : times(value);

/**
 * The issue's goal, for each Parley target of it that ran: every client back within 2× bare
 * Socket.IO's time (SIGKILL) — with rounds, the median of the rounds' ratios, each taken side by
 * side within minutes (the same build's storm spreads ±20 % over an hour on this machine).
 */
export function stormGoals(
  results: StormResults,
  byRound: readonly StormResults[] = [],
): StormGoal[] {
  return parleyTargetsOf(results).map((name) =>
    byRound.length > 1 ? roundsGoal(byRound, name) : stormGoal(results, name),
  );
}

interface StormGoal {
  goal: string;
  measured: string;
  met: boolean | null;
}

function stormGoal(results: StormResults, parleyTarget: TargetName): StormGoal {
  const kill = stormRatios(results, parleyTarget).find((entry) => entry.signal === 'SIGKILL');
  const parley = runOf(results, parleyTarget, 'SIGKILL');
  const bare = runOf(results, BARE, 'SIGKILL');
  const failures = parley
    ? Object.entries(parley.joinFailures).reduce((n, [, count]) => n + count, 0) +
      Object.values(parley.refusals).reduce((n, count) => n + count, 0)
    : 0;
  const goal = `reconnect storm (SIGKILL): every ${TARGET_LABELS[parleyTarget]} client back (re-joined and caught up) within 2× bare Socket.IO’s time (re-joined), with no \`unavailable\``;
  if (parley && bare && parley.allBackMs === undefined) {
    return {
      goal,
      measured: `not all back: ${int(parley.back)} of ${int(parley.clients)} within the storm’s time limit (bare Socket.IO: all in ${secs(bare.allBackMs)}); ${int(failures)} join failures or refusals, ${int(parley.joinsGivenUp)} clients gave up`,
      met: false,
    };
  }
  return {
    goal,
    measured:
      kill?.allBack === undefined
        ? 'not measured'
        : `${kill.allBack}×: ${secs(parley?.allBackMs)} vs ${secs(bare?.allBackMs)}; ${int(failures)} join failures or refusals`,
    met:
      kill?.allBack === undefined
        ? null
        : kill.allBack <= 2 &&
          !(parley?.joinFailures.unavailable ?? 0) &&
          !(parley?.refusals.unavailable ?? 0),
  };
}

function roundsGoal(byRound: readonly StormResults[], parleyTarget: TargetName): StormGoal {
  const ratios = stormRoundRatios(byRound, parleyTarget, 'SIGKILL');
  const median = medianRatio(ratios);
  const unavailable = byRound.some((round) => {
    const parley = runOf(round, parleyTarget, 'SIGKILL');
    return Boolean(parley?.joinFailures.unavailable || parley?.refusals.unavailable);
  });
  return {
    goal: `reconnect storm (SIGKILL): every ${TARGET_LABELS[parleyTarget]} client back (re-joined and caught up) within 2× bare Socket.IO’s time (re-joined), with no \`unavailable\`; the median of ${byRound.length} rounds side by side`,
    measured:
      median === undefined
        ? `not every round measured (${ratios.map(ratioText).join(', ')})`
        : `${ratioText(median)} (rounds: ${ratios.map(ratioText).join(', ')})${unavailable ? '; `unavailable` answered' : ''}`,
    met: median === undefined ? null : median <= 2 && !unavailable,
  };
}

/** What is wrong with the storm's figures, for the smoke test: in every round, when there were rounds. */
export function stormProblems(
  results: StormResults,
  options: BenchOptions,
  byRound: readonly StormResults[] = [],
): string[] {
  if (byRound.length > 1) {
    return byRound.flatMap((round, index) =>
      stormProblems(round, options).map((problem) => `round ${index + 1}: ${problem}`),
    );
  }
  const problems: string[] = [];
  for (const name of options.targets.filter((target) => target !== 'ws')) {
    const result = results[name];
    if (!result) {
      problems.push(`reconnect-storm/${name}: not measured`);
      continue;
    }
    for (const signal of options.reconnectStorm.signals) {
      const run = result.runs.find((entry) => entry.signal === signal);
      const at = `reconnect-storm/${name} ${signal}`;
      if (!run) {
        problems.push(`${at}: no storm`);
        continue;
      }
      if (run.allBackMs === undefined) problems.push(`${at}: ${run.back} of ${run.clients} back`);
      if (run.joinFailures.unavailable || run.refusals.unavailable)
        problems.push(`${at}: the server answered unavailable`);
      if (name.startsWith('parley') && run.recovered === 0)
        problems.push(`${at}: nothing recovered`);
      if (run.serverCpuSeconds <= 0) problems.push(`${at}: no server CPU`);
    }
  }
  return problems;
}

export function renderReconnectStorm(
  results: StormResults,
  options: BenchOptions,
  byRound: readonly StormResults[] = [],
): string {
  const { clients, rooms, seedMessages, catchUpMessages } = options.reconnectStorm;
  const heading =
    `### Reconnect storm: ${int(clients)} idle clients in ${rooms} rooms of one workspace, every node restarted\n\n` +
    `Each room holds ${seedMessages} messages (+${catchUpMessages} sent before the clients joined) and each client has seen them. ` +
    'Then every node of the target is ended (SIGKILL: a crash; SIGTERM: a graceful stop, drain 0 as everywhere in the bench) and started again on the same port; Parley’s Redis keeps running, so history survives. ' +
    `Right after the restart the harness sends ${catchUpMessages} more messages to every room (Parley). ` +
    'Every client comes back with @parley/client’s policy (socket.io-client’s backoff 1–5 s, ±50 %; `retryDelay` after a transient refusal; a join answered `unavailable`/`rate_limited` asked again) and re-joins with `since` = the last seq it saw. ' +
    '**Back**: Parley, re-joined and holding every message of its room (caught up, from the re-join’s recovery or live); bare Socket.IO (no history), re-joined. ' +
    'Times from the signal. Redis: commands per client back, the idle rate and the harness’s own sends subtracted. ' +
    'The servers run with the bench’s limits (targets.ts UNLIMITED: connection rates per address out of reach, 8 loopback addresses for every client). ' +
    'Curve: `reconnect-storm.svg` beside this report.';
  const measured = runsOf(results);
  if (measured.length === 0) return `${heading}\n\n_not run_`;
  const columns = measured.flatMap(([name, result]) =>
    result.runs.map((run) => ({ label: `${TARGET_LABELS[name]}, ${run.signal}`, run })),
  );
  const rows: [string, (run: StormRun) => string][] = [
    ['clients', (run) => int(run.clients)],
    [
      'node exited / listening / ready',
      (run) =>
        `${int(run.restart.exitMs)} / ${int(run.restart.listeningMs)} / ${int(run.restart.readyMs)} ms`,
    ],
    ['all connected again', (run) => secs(run.allReconnectedMs)],
    ['all re-joined', (run) => secs(run.allRejoinedMs)],
    [
      'the messages sent after the restart all stored',
      (run) =>
        run.catchUpMessagesPerRoom === 0
          ? 'n/a'
          : run.catchUpSentMs === undefined
            ? '–'
            : secs(run.catchUpSentMs),
    ],
    ['**all back**', (run) => `**${secs(run.allBackMs)}**`],
    [
      'each client back: p50 / p90 / p99',
      (run) =>
        run.backMs
          ? `${secs(run.backMs.p50)} / ${secs(run.backMs.p90)} / ${secs(run.backMs.p99)}`
          : '–',
    ],
    [
      'connected again: p50 / p99',
      (run) =>
        run.reconnectMs ? `${secs(run.reconnectMs.p50)} / ${secs(run.reconnectMs.p99)}` : '–',
    ],
    ['back (of clients)', (run) => `${int(run.back)}${run.timedOut ? ' (timed out)' : ''}`],
    [
      're-joined with',
      (run) => (run.rejoinedInHandshake ? 'the handshake (`auth.join`)' : '`room:join`'),
    ],
    ['connection attempts per client', (run) => String(run.attemptsPerClient)],
    ['failed attempts (server down, or no handshake in time)', (run) => counts(run.connectErrors)],
    ['refusals (connect_error)', (run) => counts(run.refusals)],
    ['join failures', (run) => counts(run.joinFailures)],
    ['clients that gave up', (run) => int(run.joinsGivenUp)],
    [
      're-joins recovered / not',
      (run) =>
        `${int(run.recovered)} / ${int(run.notRecovered)} (${run.messagesPerRecovery} entries each)`,
    ],
    [
      're-joins answered without the member list (`membersUnchanged`)',
      (run) => (run.listsLeftOut === undefined ? 'n/a' : int(run.listsLeftOut)),
    ],
    [
      "bytes of a re-join's answer, per client",
      (run) => (run.joinAnswerBytes === undefined ? 'n/a' : int(run.joinAnswerBytes)),
    ],
    [
      'server CPU, signal → all back',
      (run) => `${run.serverCpuSeconds} CPU-s (${int(run.serverCpuPercent)} % of a core)`,
    ],
    [
      'server CPU by process (each node, then Redis)',
      (run) => (run.serverCpuSecondsByProcess ?? []).map((seconds) => `${seconds} s`).join(' + '),
    ],
    [
      'write system calls per client back, by process',
      (run) => (run.serverWritesPerReconnect ?? []).join(' + ') || 'n/a',
    ],
    ['generator CPU', (run) => `${int(run.generatorCpuPercent)} %`],
    [
      'connections dropped from a full accept queue (kernel ListenOverflows)',
      (run) => int(run.listenOverflows),
    ],
    [
      'Redis commands per client back (INFO stats; a Lua script’s own calls count)',
      (run) => (run.redis ? String(run.redis.clientCommandsPerReconnect) : 'n/a'),
    ],
    [
      'Redis reads per client back (INFO stats total_reads_processed: batches the nodes wrote)',
      (run) => (run.redis ? String(run.redis.readsPerReconnect ?? 'n/a') : 'n/a'),
    ],
    [
      'by command (INFO commandstats calls per client back)',
      (run) =>
        run.redis
          ? Object.entries(run.redis.byCommand)
              .slice(0, 9)
              .map(([command, n]) => `${command} ${n}`)
              .join(', ')
          : 'n/a',
    ],
    [
      'Redis commands from the signal to ready (nodes’ start)',
      (run) => (run.redis ? int(run.redis.startupCommands) : 'n/a'),
    ],
    ['frames received per client back', (run) => counts(run.framesPerReconnect)],
  ];
  const main = table(
    ['', ...columns.map((column) => column.label)],
    rows.map(([label, cell]) => [label, ...columns.map((column) => cell(column.run))]),
  );
  // With rounds, each target's median round may be a different round: the ratios are the
  // rounds' own (renderRounds), never one target's median over another's.
  const ratioTables = (byRound.length > 1 ? [] : parleyTargetsOf(results)).map((name) => {
    const ratios = stormRatios(results, name);
    return ratios.some((entry) => entry.allBack !== undefined)
      ? `\n\n${TARGET_LABELS[name]} ÷ ${TARGET_LABELS[BARE]} (issue goal: all back within 2×)\n\n${table(
          ['signal', 'all back', 'each back p50', 'each back p99', 'all back, from ready'],
          ratios.map((entry) => [
            entry.signal,
            times(entry.allBack),
            times(entry.p50),
            times(entry.p99),
            times(entry.fromReady),
          ]),
        )}`
      : '';
  });
  return `${heading}\n\n${main}${ratioTables.join('')}${renderRounds(byRound)}`;
}

/** With rounds: every round's all-back times side by side, its ratios, and their median. */
function renderRounds(byRound: readonly StormResults[]): string {
  if (byRound.length < 2) return '';
  const targets = (Object.keys(TARGET_LABELS) as TargetName[]).filter((name) =>
    byRound.some((round) => round[name]),
  );
  const parleys = PARLEY_TARGETS.filter((name) => targets.includes(name));
  const signals = [
    ...new Set(
      byRound.flatMap((round) => runsOf(round).flatMap(([, r]) => r.runs.map((run) => run.signal))),
    ),
  ];
  const parts = signals.map((signal) => {
    const ratios = parleys.map((name) => stormRoundRatios(byRound, name, signal));
    const cpuRatios = parleys.map((name) => stormRoundCpuRatios(byRound, name, signal));
    const cpuPerClient = targets.map((name) => stormRoundCpuPerClient(byRound, name, signal));
    const pairs = AB_PAIRS.filter(
      ([build, base]) => targets.includes(build) && targets.includes(base),
    );
    const abRatios = pairs.map((pair) => stormRoundCpuOver(byRound, pair, signal));
    const rows = byRound.map((round, index) => [
      String(index + 1),
      ...targets.map((name, column) => {
        const run = runOf(round, name, signal);
        return run
          ? `${secs(run.allBackMs)} · ${ms(cpuPerClient[column]?.[index])} ms CPU`
          : 'not run';
      }),
      ...ratios.map((perRound) => ratioText(perRound[index])),
      ...cpuRatios.map((perRound) => times(perRound[index])),
      ...abRatios.map((perRound) => times(perRound[index])),
    ]);
    rows.push([
      '**median**',
      ...cpuPerClient.map((perRound) => {
        const known = perRound.filter((value): value is number => value !== undefined);
        return known.length > 0 ? `${ms(medianOf(known))} ms CPU` : '';
      }),
      ...ratios.map((perRound) => `**${ratioText(medianRatio(perRound))}**`),
      ...cpuRatios.map((perRound) => times(medianRatio(perRound))),
      ...abRatios.map((perRound) => `**${times(medianRatio(perRound))}**`),
    ]);
    return `\n\n${signal}: all back in each of ${byRound.length} rounds (a different target first each round; the table above shows each target's median round), and each target's server CPU per client back (its nodes and Redis)\n\n${table(
      [
        'round',
        ...targets.map((name) => TARGET_LABELS[name]),
        ...parleys.map((name) => `${TARGET_LABELS[name]} ÷ ${TARGET_LABELS[BARE]}`),
        ...parleys.map((name) => `server CPU per client back, ${TARGET_LABELS[name]} ÷ bare`),
        ...pairs.map(
          ([build]) => `server CPU per client back, ${TARGET_LABELS[build]} ÷ its baseline build`,
        ),
      ],
      rows,
    )}`;
  });
  return parts.join('');
}

/** Clients back (%) against seconds since the signal, every target and signal: SVG by file name. */
export function reconnectStormCharts(results: StormResults): Record<string, string> {
  const measured = runsOf(results);
  if (measured.length === 0) return {};
  const series: Series[] = measured.flatMap(([name, result]) =>
    result.runs.flatMap((run): Series[] => [
      {
        name: `${TARGET_LABELS[name]}, ${run.signal}: back`,
        colorGroup: `${name}-${run.signal}`,
        points: run.curve.map(([ms, percent]) => [ms / 1000, percent]),
      },
      {
        name: `${TARGET_LABELS[name]}, ${run.signal}: connected again`,
        colorGroup: `${name}-${run.signal}`,
        dashed: true,
        points: run.reconnectCurve.map(([ms, percent]) => [ms / 1000, percent]),
      },
    ]),
  );
  return {
    'reconnect-storm.svg': lineChartSvg({
      title: 'Reconnect storm: clients back after a restart',
      xLabel: 'seconds since the signal',
      yLabel: 'clients (%)',
      xLog: false,
      series,
    }),
  };
}
