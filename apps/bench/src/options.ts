import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR } from './paths';
import type { TargetName } from './servers/targets';

export const SCENARIOS = [
  'fanout',
  'latency',
  'many-rooms',
  'cross-node',
  'memory',
  'connect',
  'big-workspace',
  'replicated-acks',
  'presence-churn',
  'reconnect-storm',
  'every-core',
  'ceiling',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/**
 * What a run measures unless --scenarios says otherwise: presence-churn only when named (its
 * 10 000-member room takes minutes to fill, and it measures Parley alone), reconnect-storm
 * only when named (it kills and restarts the servers, 10 000 clients at a time), and every-core
 * only when named (four Parley set-ups, several rounds each, ≈ 5 min).
 */
const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter(
  (name) => name !== 'presence-churn' && name !== 'reconnect-storm' && name !== 'every-core',
);
export const RESTART_SIGNALS = ['SIGKILL', 'SIGTERM'] as const;
/** What a run measures unless --targets says otherwise. */
const DEFAULT_TARGETS: readonly TargetName[] = ['ws', 'socketio', 'parley', 'parley-redis'];
/**
 * Also selectable: Parley with METRICS=false, with /metrics scraped every second (issue 14), and
 * from another build (--baseline-main).
 */
const TARGETS: readonly TargetName[] = [
  ...DEFAULT_TARGETS,
  'parley-no-metrics',
  'parley-scraped',
  'parley-baseline',
  'parley-redis-1',
  'parley-redis-1-baseline',
  'parley-workers',
];

export interface BenchOptions {
  quick: boolean;
  scenarios: ScenarioName[];
  targets: TargetName[];
  /** Receiver processes of the load generator; one more process sends. */
  workers: number;
  warmupMs: number;
  /** How long no delivery must arrive before a window's backlog counts as drained. */
  quietMs: number;
  /**
   * Unreported windows per target before the rounds of scenarios that take turns (JIT, first
   * joins); none in a quick run, whose targets have served earlier scenarios already.
   */
  warmupTurns: number;
  stepMs: number;
  maxSteps: number;
  stepFactor: number;
  fanout: {
    receivers: number;
    startRate: number;
    window: number;
    fractions: number[];
    /**
     * Messages/s at which every target's latency is also measured, the same load for all. Unset:
     * half of bare Socket.IO's peak in this run (it is measured first), the load at which the
     * baseline is half saturated; `fallbackSameLoadRate` when bare Socket.IO is not in the run.
     */
    sameLoadRate: number | undefined;
    fallbackSameLoadRate: number;
    /** Rounds of the latency scenario (targets alternate in each); the median p99 is reported. */
    sameLoadRounds: number;
  };
  manyRooms: { clients: number; roomSize: number; startRate: number; window: number };
  crossNode: { deliveriesPerSec: number; receivers: number; seconds: number; rounds: number };
  /** every-core: messages/s per sender of the fan-out's one sender and of every many-rooms client. */
  everyCore: { fanoutRate: number; manyRoomsRate: number; seconds: number; rounds: number };
  /** Fan-out against the ws ceiling at the same loads (scenarios/ceiling.ts). */
  ceiling: {
    /** Messages per second to the fan-out room; undefined: `fractions` of Parley's peak. */
    rates?: number[];
    fractions: number[];
    /** Without --ceiling-rates or a fan-out peak in the run. */
    fallbackRates: number[];
    rounds: number;
  };
  replicatedAcks: {
    /** Clients in rooms of `roomSize`, alternating between the two nodes: node A's send, node B's receive. */
    clients: number;
    roomSize: number;
    /** Messages per second from all senders together, the same for both configurations. */
    messagesPerSec: number;
    /** Unacknowledged messages a sender may have. */
    window: number;
    seconds: number;
    /** Seconds of the window with every sender sending as fast as its acks allow. */
    flatOutSeconds: number;
    rounds: number;
    /** Write + WAIT pairs (and as many write + PING) timed on the idle Redis first. */
    roundTripPairs: number;
  };
  memory: {
    sockets: number;
    workspaceSize: number;
    roomSize: number;
    /** Wait after the last join before reading memory: join broadcasts and timers settle. */
    settleMs: number;
  };
  connect: { clients: number; roomSize: number; concurrency: number };
  bigWorkspace: {
    /** Rooms in the workspace at each measurement, smallest first: it grows from one to the next. */
    sizes: number[];
    /** Connections creating the rooms, and the joins each has in flight (≤ 100 rooms per connection). */
    makers: number;
    makerWindow: number;
    /** Connections asking `room:list`, and how many per second all together. */
    lobbies: number;
    listsPerSec: number;
    /** The room messages are sent to: one sender, the other members receive. */
    members: number;
    messagesPerSec: number;
    /** Measured per size. */
    windowMs: number;
    /** Wait before reading memory, once the room makers' connections have closed. */
    settleMs: number;
  };
  presenceChurn: {
    /** Idle members of the one room, smallest first: the room grows from one to the next. */
    sizes: number[];
    /** Churn clients joining per second; each leaves `lifetimeMs` later, so as many leave. */
    joinsPerSec: number;
    lifetimeMs: number;
    /** From one member to the room, in both phases. */
    messagesPerSec: number;
    /** Members connected per batch while the room grows (their joins are announced to it). */
    batch: number;
    /**
     * The most time a target's room may take to grow (all sizes together). Past it the room
     * stays as big as it got, and is measured at that size, said so in the report.
     */
    growBudgetMs: number;
    warmupMs: number;
    /** Measured per size and phase. */
    windowMs: number;
  };
  reconnectStorm: {
    /** Idle clients, spread evenly over `rooms` rooms of one workspace. */
    clients: number;
    rooms: number;
    /** Messages in each room before the clients join (their `since` is the newest). */
    seedMessages: number;
    /** Messages sent to each room right after the restart: what the re-joins catch up on. */
    catchUpMessages: number;
    /**
     * Rounds of every target's storms, a different target first each round (a drift in the
     * machine falls on all alike); the report judges the median round's ratio.
     */
    rounds: number;
    /** One storm per signal, in order, on the same target (the clients stay). */
    signals: (typeof RESTART_SIGNALS)[number][];
    /** The most time a storm may take, from the signal until every client is back. */
    timeoutMs: number;
  };
  /** Profile Parley (V8's CPU profiler) for this many seconds under each load; 0: no. */
  profileSeconds: number;
  /** The Parley target profiled (its first node): `parley` unless asked. */
  profileTarget: TargetName;
  build: boolean;
  /** Fail (exit 1) unless every target produced non-zero figures: the CI smoke test. */
  check: boolean;
  /**
   * CPUs for the servers (every node and Redis) and for the load generator, so that neither
   * takes the other's core; undefined: the OS decides (--no-pin, or a single core).
   */
  pin?: { serverCpus: string; generatorCpus: string };
  /** Where results go: latest.json / latest.md and one folder per run. */
  outDir: string;
  /** The main.js of another Parley build, run by the `parley-baseline` target. */
  baselineMain?: string;
  /** PARLEY_WORKERS of the `parley-workers` target. */
  parleyWorkers: number;
  /** Settings every Parley node of the run gets on top of the bench's (`--parley-env`). */
  parleyEnv: Record<string, string>;
}

const HELP = `pnpm bench [-- options]

  --quick                 small sizes and short windows (about a minute): the CI smoke test
  --scenarios LIST        ${SCENARIOS.join(',')}
                          (default: all but presence-churn, reconnect-storm and every-core)
  --targets LIST          ${TARGETS.join(',')}
                          (default: ${DEFAULT_TARGETS.join(',')}; parley-no-metrics is Parley with
                          METRICS=false, parley-scraped Parley with /metrics fetched every second,
                          parley-baseline Parley from the build given with --baseline-main,
                          parley-redis-1-baseline one such node over Redis)
  --baseline-main PATH    parley-baseline, parley-redis-1-baseline: another build's apps/server/dist/main.js (e.g. before a change)
  --parley-workers N      parley-workers: PARLEY_WORKERS (2); idle memory past one process's open files needs more
  --parley-env LIST       KEY=VALUE,… given to every Parley node of the run, over the bench's settings
                          (a setting's cost: run once with it, once without)
  --receivers N           fan-out: receivers in the room (1000)
  --same-load-rate N      latency: msg/s for every target (default: half of bare Socket.IO's fan-out peak)
  --same-load-rounds N    latency: rounds, targets alternating; the median p99 is reported (5)
  --many-rooms-clients N  many rooms: clients, each sending (1000)
  --room-size N           many rooms: clients per room (10)
  --cross-node-rate N     cross-node: deliveries per second (5000)
  --cross-node-seconds N  cross-node: seconds per window (8)
  --cross-node-rounds N   cross-node: rounds, alternating the two; the median p99 is reported (4)
  --ceiling-rates LIST    ceiling: fan-out msg/s the ws ceiling and Parley carry in turns
                          (default: 25, 50 and 75 % of Parley's fan-out peak in the run)
  --ceiling-rounds N      ceiling: rounds per rate; the median by deliveries per CPU-second (3)
  --every-core-fanout-rate N  every-core: the fan-out sender's msg/s (300: 300 000 deliveries/s)
  --every-core-rate N     every-core: each many-rooms client's msg/s (3: 3 000 msg/s in all)
  --every-core-seconds N  every-core: seconds per window (6)
  --every-core-rounds N   every-core: rounds, targets taking turns; the median is reported (3)
  --replicated-rate N     replicated-acks: messages/s, all senders together (1000)
  --replicated-seconds N  replicated-acks: seconds per window at that rate (4)
  --replicated-rounds N   replicated-acks: rounds, alternating WAIT off / WAIT 1; medians reported (5)
  --memory-sockets N      idle memory: joined sockets (10000)
  --connect-clients N     connect + join rate: clients (1500)
  --rooms N               big workspace: the most rooms; also measured at 100, 1 000, 10 000, … below it (100000)
  --rooms-seconds N       big workspace: seconds measured per size (5)
  --churn-sizes LIST      presence-churn: idle members of the room, e.g. 100,1000,10000 (the default)
  --churn-rate N          presence-churn: joins/s and as many leaves/s of fresh users (10)
  --churn-seconds N       presence-churn: seconds measured per size and phase (10)
  --churn-grow-seconds N  presence-churn: the most seconds a target's room may take to fill (300);
                          past it, measured at the size it reached
  --storm-clients N       reconnect-storm: idle clients, each joined to one room (10000)
  --storm-rooms N         reconnect-storm: rooms they are spread over (100)
  --storm-signals LIST    reconnect-storm: how the nodes are ended, one storm each (SIGKILL,SIGTERM)
  --storm-seconds N       reconnect-storm: the most seconds a storm may take (180)
  --storm-rounds N        reconnect-storm: rounds of every target's storms, targets alternating (1)
  --step-seconds N        seconds measured per rate step (2)
  --workers N             receiving load-generator processes (2)
  --profile SECONDS       also profile Parley under fan-out, many-rooms and connect load
  --profile-target NAME   the Parley target profiled (parley; e.g. parley-redis: its first node)
  --no-build              do not rebuild apps/server/dist when it is stale
  --no-pin                let the OS place processes (default: servers on CPU 0, generator on the rest)
  --check                 exit 1 unless every target has non-zero figures (on with --quick)
  --out DIR               results directory (apps/bench/results)
`;

function list<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: readonly T[],
): T[] {
  if (!value) return [...fallback];
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new Error(`unknown "${item}"; expected one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

function positive(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new Error(`expected a positive number, got "${value}"`);
  return number;
}

/** `KEY=VALUE,…` as an object; a key must look like an environment variable's name. */
function settings(value: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of (value ?? '').split(',').filter((entry) => entry.trim() !== '')) {
    const [key = '', ...rest] = item.split('=');
    if (!/^[A-Z][A-Z0-9_]*$/.test(key.trim()) || rest.length === 0)
      throw new Error(`--parley-env: "${item}" is not KEY=VALUE`);
    env[key.trim()] = rest.join('=');
  }
  return env;
}

/** A comma-separated list of positive integers, sorted ascending and without repeats. */
function sizeList(value: string | undefined, fallback: number[]): number[] {
  if (!value) return fallback;
  const sizes = value.split(',').map((item) => Math.round(positive(item.trim(), 0)));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** 100, 1 000, 10 000, … below `largest`, then `largest`: a curve, not a point. */
export function workspaceSizes(largest: number): number[] {
  const sizes: number[] = [];
  for (let size = 100; size < largest; size *= 10) sizes.push(size);
  return [...sizes, Math.round(largest)];
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  // `pnpm bench -- --quick` hands the script a literal "--" first: it is not an end of options here.
  const args = argv.filter((arg) => arg !== '--');
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      receivers: { type: 'string' },
      'same-load-rate': { type: 'string' },
      'same-load-rounds': { type: 'string' },
      'many-rooms-clients': { type: 'string' },
      'room-size': { type: 'string' },
      'cross-node-rate': { type: 'string' },
      'cross-node-seconds': { type: 'string' },
      'cross-node-rounds': { type: 'string' },
      'every-core-fanout-rate': { type: 'string' },
      'ceiling-rates': { type: 'string' },
      'ceiling-rounds': { type: 'string' },
      'every-core-rate': { type: 'string' },
      'every-core-seconds': { type: 'string' },
      'every-core-rounds': { type: 'string' },
      'replicated-rate': { type: 'string' },
      'replicated-seconds': { type: 'string' },
      'replicated-rounds': { type: 'string' },
      'memory-sockets': { type: 'string' },
      'connect-clients': { type: 'string' },
      rooms: { type: 'string' },
      'rooms-seconds': { type: 'string' },
      'step-seconds': { type: 'string' },
      'churn-sizes': { type: 'string' },
      'churn-rate': { type: 'string' },
      'churn-seconds': { type: 'string' },
      'churn-grow-seconds': { type: 'string' },
      'storm-clients': { type: 'string' },
      'storm-rooms': { type: 'string' },
      'storm-signals': { type: 'string' },
      'storm-seconds': { type: 'string' },
      'storm-rounds': { type: 'string' },
      workers: { type: 'string' },
      profile: { type: 'string' },
      'profile-target': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      out: { type: 'string' },
      'baseline-main': { type: 'string' },
      'parley-env': { type: 'string' },
      'parley-workers': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const targets = list(values.targets, TARGETS, DEFAULT_TARGETS);
  for (const name of ['parley-baseline', 'parley-redis-1-baseline'] as const) {
    if (targets.includes(name) && !values['baseline-main'])
      throw new Error(`--targets ${name} needs --baseline-main PATH (another build’s main.js)`);
  }
  const roomSize = positive(values['room-size'], 10);
  const cores = availableParallelism();
  return {
    quick,
    scenarios: list(values.scenarios, SCENARIOS, DEFAULT_SCENARIOS),
    targets,
    workers: positive(values.workers, 2),
    warmupMs: quick ? 100 : 500,
    // Loopback at a quick run's rates goes quiet within milliseconds.
    quietMs: quick ? 50 : 150,
    warmupTurns: quick ? 0 : 1,
    stepMs: positive(values['step-seconds'], quick ? 0.25 : 2) * 1000,
    maxSteps: quick ? 2 : 14,
    stepFactor: quick ? 3 : 1.5,
    fanout: {
      receivers: positive(values.receivers, quick ? 200 : 1000),
      startRate: quick ? 20 : 10,
      window: 32,
      fractions: quick ? [0.5] : [0.25, 0.5, 0.75],
      sameLoadRate:
        values['same-load-rate'] === undefined ? undefined : positive(values['same-load-rate'], 0),
      fallbackSameLoadRate: quick ? 20 : 50,
      sameLoadRounds: positive(values['same-load-rounds'], quick ? 1 : 5),
    },
    manyRooms: {
      clients: positive(values['many-rooms-clients'], quick ? 100 : 1000),
      roomSize,
      startRate: quick ? 2 : 1,
      window: 4,
    },
    crossNode: {
      deliveriesPerSec: positive(values['cross-node-rate'], quick ? 2000 : 5000),
      receivers: positive(values.receivers, quick ? 200 : 1000),
      seconds: positive(values['cross-node-seconds'], quick ? 0.5 : 8),
      rounds: positive(values['cross-node-rounds'], quick ? 1 : 4),
    },
    everyCore: {
      fanoutRate: positive(values['every-core-fanout-rate'], quick ? 50 : 300),
      manyRoomsRate: positive(values['every-core-rate'], quick ? 1 : 3),
      seconds: positive(values['every-core-seconds'], quick ? 1 : 6),
      rounds: positive(values['every-core-rounds'], quick ? 1 : 3),
    },
    ceiling: {
      rates:
        values['ceiling-rates'] === undefined ? undefined : sizeList(values['ceiling-rates'], []),
      fractions: quick ? [0.5] : [0.25, 0.5, 0.75],
      fallbackRates: quick ? [20] : [100, 250, 400],
      rounds: positive(values['ceiling-rounds'], quick ? 1 : 3),
    },
    replicatedAcks: {
      clients: quick ? 40 : 400,
      roomSize: 10,
      messagesPerSec: positive(values['replicated-rate'], quick ? 100 : 1000),
      window: 4,
      seconds: positive(values['replicated-seconds'], quick ? 0.3 : 4),
      flatOutSeconds: quick ? 0.3 : 2,
      rounds: positive(values['replicated-rounds'], quick ? 1 : 5),
      roundTripPairs: quick ? 200 : 2000,
    },
    memory: {
      sockets: positive(values['memory-sockets'], quick ? 500 : 10_000),
      workspaceSize: 500,
      roomSize,
      settleMs: quick ? 300 : 1000,
    },
    connect: {
      clients: positive(values['connect-clients'], quick ? 300 : 1500),
      roomSize,
      concurrency: 50,
    },
    bigWorkspace: {
      sizes: workspaceSizes(positive(values.rooms, quick ? 300 : 100_000)),
      makers: 8,
      makerWindow: 50,
      lobbies: 4,
      listsPerSec: 200,
      members: 5,
      messagesPerSec: 100,
      windowMs: positive(values['rooms-seconds'], quick ? 0.3 : 5) * 1000,
      settleMs: quick ? 100 : 300,
    },
    presenceChurn: {
      sizes: sizeList(values['churn-sizes'], quick ? [50, 200] : [100, 1000, 10_000]),
      joinsPerSec: positive(values['churn-rate'], 10),
      lifetimeMs: 1000,
      messagesPerSec: 5,
      batch: 1000,
      growBudgetMs: positive(values['churn-grow-seconds'], quick ? 60 : 300) * 1000,
      warmupMs: quick ? 500 : 2000,
      windowMs: positive(values['churn-seconds'], quick ? 1.5 : 10) * 1000,
    },
    reconnectStorm: {
      clients: Math.round(positive(values['storm-clients'], quick ? 500 : 10_000)),
      rooms: Math.round(positive(values['storm-rooms'], quick ? 10 : 100)),
      seedMessages: 20,
      catchUpMessages: 5,
      signals: list(values['storm-signals'], RESTART_SIGNALS, RESTART_SIGNALS),
      timeoutMs: positive(values['storm-seconds'], quick ? 60 : 180) * 1000,
      rounds: Math.max(1, Math.round(positive(values['storm-rounds'], 1))),
    },
    profileSeconds: values.profile === undefined ? 0 : positive(values.profile, 0),
    profileTarget: list(values['profile-target'], TARGETS, ['parley'])[0] as TargetName,
    build: !values['no-build'],
    check: values.check ?? false,
    outDir: resolve(values.out ?? RESULTS_DIR),
    baselineMain:
      values['baseline-main'] === undefined ? undefined : resolve(values['baseline-main']),
    parleyWorkers: Math.round(positive(values['parley-workers'], 2)),
    parleyEnv: settings(values['parley-env']),
    pin:
      values['no-pin'] || cores < 2
        ? undefined
        : { serverCpus: '0', generatorCpus: `1-${cores - 1}` },
  };
}

export { HELP };
