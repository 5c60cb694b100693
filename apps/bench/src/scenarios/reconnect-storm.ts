import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StormReport } from '../clients/commands';
import type { StormClientSpec } from '../clients/storm';
import { CpuMeter, cpuSecondsOf, listenOverflows, writesOf } from '../proc-stats';
import { renderProfile, summarizeProfile } from '../profile/top-frames';
import { info } from '../servers/redis';
import {
  epochMs,
  type RestartSignal,
  type RunningTarget,
  TARGET_LABELS,
  type TargetName,
} from '../servers/targets';
import { type ScenarioContext, sourceAddress } from './context';
import { fmt } from './measure';

/**
 * Reconnect storm (issue 15): C idle clients in R rooms of one workspace, each having seen its
 * room's latest messages; then every node of the target is ended (SIGKILL: a crash; SIGTERM: a
 * graceful stop) and started again on the same port, against the same Redis, and every client
 * comes back by itself with @parley/client's reconnect policy (clients/storm.ts) and re-joins its
 * room with `since` = the last seq it saw. Right after the restart the harness sends a few
 * messages to every room, so each re-join has something to catch up on.
 *
 * Measured from the signal: when every client is connected again, re-joined, and back (re-joined
 * and holding every message of its room: Parley; re-joined: bare Socket.IO, which has no history),
 * each client's time back, join failures by code, server CPU, and Redis commands per reconnect.
 */

const WORKSPACE = 'bench';
const POLL_MS = 200;
/** Points of each curve. */
const CURVE_POINTS = 120;

/** Targets that can be restarted and speak Socket.IO: not the ws ceiling. */
export function canStorm(name: TargetName): boolean {
  return name !== 'ws';
}

/** Parley targets keep history: their clients catch up; bare Socket.IO's only re-join. */
function hasHistory(name: TargetName): boolean {
  return name.startsWith('parley');
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RedisCost {
  /**
   * Commands Redis ran (INFO stats total_commands_processed) per client back: on Redis 7 that
   * counts the commands a Lua script runs as well as the EVALSHA that ran it.
   */
  clientCommandsPerReconnect: number;
  /** Commands Redis ran (INFO commandstats calls, those inside Lua scripts included) per client back. */
  callsPerReconnect: number;
  /** The same, by command, largest first. */
  byCommand: Record<string, number>;
  /**
   * Reads Redis made from its clients' connections (INFO stats total_reads_processed) per client
   * back: each is one batch of commands a node wrote at once (node-redis writes what a turn of
   * its event loop queued in one go), so commands ÷ reads is how well they were batched.
   */
  readsPerReconnect: number;
  /** Subtracted first: the idle rate (commands/s before the restart) over the storm … */
  idleCommandsPerSec: number;
  /** … and the harness's own joins and sends after the restart, as measured when idle. */
  seederCommands: number;
  /**
   * Commands from the signal until every node was ready (the nodes' start), counted apart: the
   * per-reconnect figures run from ready to all back (a client that came back before ready is
   * counted in them, its commands partly here).
   */
  startupCommands: number;
}

export interface StormRun {
  signal: RestartSignal;
  clients: number;
  /** From the signal: the last node exited, listening again, ready (/readyz). */
  restart: { exitMs: number; listeningMs: number; readyMs: number };
  /** From the signal until every client was connected / re-joined / back; undefined: not all were. */
  allReconnectedMs?: number;
  allRejoinedMs?: number;
  allBackMs?: number;
  reconnected: number;
  rejoined: number;
  back: number;
  /** Each client's time from the signal until connected again, and until back. */
  reconnectMs?: Percentiles;
  backMs?: Percentiles;
  /** Connection attempts per client (new WebSockets, and namespace retries after a refusal). */
  attemptsPerClient: number;
  /** Attempts that failed before any answer (the server down), by code. */
  connectErrors: Record<string, number>;
  /** The server's `connect_error` answers, by code. */
  refusals: Record<string, number>;
  /** `room:join` answered with an error, by code (`no_answer`: none within 10 s). */
  joinFailures: Record<string, number>;
  joinsGivenUp: number;
  recovered: number;
  notRecovered: number;
  /** Entries the recovered re-joins carried, per re-join. */
  messagesPerRecovery: number;
  /** Re-joins whose answer left out the member list the client held (`membersUnchanged`). */
  listsLeftOut?: number;
  /** Bytes of a re-join's answer, on average (the frame that carried it). */
  joinAnswerBytes?: number;
  /** Clients re-joined in the handshake (`auth.join`), not with `room:join` once connected. */
  rejoinedInHandshake: boolean;
  /** Messages sent to each room right after the restart (0: no history). */
  catchUpMessagesPerRoom: number;
  /**
   * From the signal until the harness had sent (and Parley stored) them all: no client is back
   * before that, since back means holding them.
   */
  catchUpSentMs?: number;
  /** Server processes (new nodes, from their start, and Redis) from the signal until all back. */
  serverCpuSeconds: number;
  /** The same, per server process in the target's order (each node, then Redis). */
  serverCpuSecondsByProcess: number[];
  serverCpuPercent: number;
  /**
   * Write system calls (`/proc/<pid>/io` syscw: socket writes, and the odd log line) per client
   * back, per server process in the same order: what each client costs in `writev`s.
   */
  serverWritesPerReconnect: number[];
  generatorCpuPercent: number;
  /** Connections the kernel dropped from a full accept queue, signal → all back (whole machine). */
  listenOverflows: number;
  redis?: RedisCost;
  /** Event packets the clients received during the storm, per client back, by name. */
  framesPerReconnect: Record<string, number>;
  /** Clients back (%) against ms since the signal; and connected again (%). */
  curve: [ms: number, percent: number][];
  reconnectCurve: [ms: number, percent: number][];
  timedOut: boolean;
}

export interface ReconnectStormResult {
  clients: number;
  rooms: number;
  seedMessages: number;
  setupSeconds: number;
  runs: StormRun[];
}

function percentiles(values: number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted.at(-1) as number) };
}

/** Share of `total` at or below each time, at CURVE_POINTS steps up to the last value. */
function curveOf(values: number[], total: number): [number, number][] {
  if (values.length === 0 || total === 0) return [];
  const sorted = [...values].sort((a, b) => a - b);
  const last = sorted.at(-1) as number;
  const points: [number, number][] = [[0, 0]];
  let index = 0;
  for (let step = 1; step <= CURVE_POINTS; step++) {
    const t = (last * step) / CURVE_POINTS;
    while (index < sorted.length && (sorted[index] as number) <= t) index++;
    points.push([Math.round(t), Math.round((1000 * index) / total) / 10]);
  }
  return points;
}

/** Redis counters: `total` (total_commands_processed) and commandstats calls by command. */
async function redisCounters(port: number): Promise<Record<string, number>> {
  const [stats, commands] = await Promise.all([info(port, 'stats'), info(port, 'commandstats')]);
  const counters: Record<string, number> = {
    total: Number(/^total_commands_processed:(\d+)/m.exec(stats)?.[1] ?? 0),
    reads: Number(/^total_reads_processed:(\d+)/m.exec(stats)?.[1] ?? 0),
  };
  for (const match of commands.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    counters[match[1] as string] = Number(match[2]);
  return counters;
}

function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(a)) out[key] = value - (b[key] ?? 0);
  return out;
}

function sumOf(reports: StormReport[], pick: (report: StormReport) => number): number {
  return reports.reduce((total, report) => total + pick(report), 0);
}

function mergeCounts(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const map of maps)
    for (const [key, n] of Object.entries(map)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** Every room's clients (in every process) hold at least the room's newest seq. */
function caughtUp(reports: StormReport[], seqs: Record<string, number>): boolean {
  for (const report of reports) {
    for (const [room, seq] of Object.entries(report.lowestSeqByRoom))
      if (seq < (seqs[room] ?? 0)) return false;
  }
  return true;
}

/** Waits until the clients receive no more events for a moment (bounded): the joins are announced. */
async function quiet(context: ScenarioContext, maxMs: number): Promise<void> {
  const total = async () =>
    sumOf(await context.pool.stormReports(false), (report) =>
      Object.values(report.events).reduce((a, b) => a + b, 0),
    );
  const deadline = Date.now() + maxMs;
  let last = await total();
  while (Date.now() < deadline) {
    await sleep(500);
    const current = await total();
    if (current === last) return;
    last = current;
  }
}

export async function runReconnectStorm(
  context: ScenarioContext,
  name: TargetName,
): Promise<ReconnectStormResult> {
  const { options, pool, log } = context;
  const { clients, rooms, seedMessages, catchUpMessages, signals, timeoutMs } =
    options.reconnectStorm;
  const history = hasHistory(name);
  const roomNames = Array.from({ length: rooms }, (_, index) => `storm-${index}`);
  return context.withFreshTarget(name, async (target) => {
    if (!target.restart) throw new Error(`${TARGET_LABELS[name]} cannot be restarted`);
    const setupStart = performance.now();
    const redisPort = target.redisUrl ? Number(new URL(target.redisUrl).port) : undefined;
    const url = target.urls[0] as string;
    let seqs: Record<string, number> = {};
    let seederCost: Record<string, number> = {};
    let joinOnConnect = false;
    if (history) {
      const seeded = await pool.stormSeed(url, WORKSPACE, roomNames, seedMessages, 300_000);
      if (seeded.failed > 0) throw new Error(`seeding failed: ${seeded.errors.join('; ')}`);
      joinOnConnect = seeded.joinsOnConnect;
      // What the harness's sends after a restart cost Redis, measured now, with nobody else in.
      const before = redisPort ? await redisCounters(redisPort) : {};
      const calibration = await pool.stormSeed(url, WORKSPACE, roomNames, catchUpMessages, 120_000);
      if (redisPort) seederCost = minus(await redisCounters(redisPort), before);
      seqs = calibration.seqs;
      log(
        `    rooms seeded: ${fmt(seeded.sent + calibration.sent)} messages in ${rooms} rooms (${fmt(seeded.elapsedMs + calibration.elapsedMs)} ms)`,
      );
    }
    // Each room's clients on every node: client i is in room i mod R, on node ⌊i / R⌋ mod nodes.
    const specs: StormClientSpec[] = Array.from({ length: clients }, (_, index) => ({
      url: target.urls[Math.floor(index / rooms) % target.urls.length] as string,
      workspace: WORKSPACE,
      room: roomNames[index % rooms] as string,
      userId: `storm-${index}`,
      localAddress: sourceAddress(index),
      joinOnConnect,
    }));
    const connected = await pool.stormConnect(specs, { concurrency: 50, timeoutMs: 600_000 });
    log(
      `    ${fmt(connected.connected)} clients joined (${fmt(connected.elapsedMs)} ms)${connected.failed ? `, ${connected.failed} failed: ${connected.errors.join('; ')}` : ''}`,
    );
    if (connected.connected === 0) throw new Error('no client joined');
    await quiet(context, 60_000);
    const setupSeconds = round((performance.now() - setupStart) / 1000);

    const runs: StormRun[] = [];
    for (const signal of signals) {
      const run = await storm(context, target, signal, {
        clients: connected.connected,
        history,
        redisPort,
        seederCost,
        seqs,
        roomNames,
        catchUpMessages,
        timeoutMs,
        joinOnConnect,
        profileFile:
          context.options.profileSeconds > 0
            ? join(context.options.outDir, `storm-${name}-${signal}.cpuprofile`)
            : undefined,
      });
      seqs = run.seqs;
      runs.push(run.result);
      const r = run.result;
      log(
        `    ${signal}: all connected ${fmtMs(r.allReconnectedMs)}, re-joined ${fmtMs(r.allRejoinedMs)}, back ${fmtMs(r.allBackMs)} ` +
          `(p50 ${r.backMs?.p50 ?? '–'} / p99 ${r.backMs?.p99 ?? '–'} ms; ready at ${r.restart.readyMs} ms), ` +
          `join failures ${JSON.stringify(r.joinFailures)}, refusals ${JSON.stringify(r.refusals)}, ` +
          `server ${r.serverCpuSeconds} CPU-s (${r.serverCpuPercent} %)` +
          (r.redis
            ? `, Redis ${r.redis.clientCommandsPerReconnect} commands (${r.redis.callsPerReconnect} calls) per reconnect`
            : ''),
      );
      // Clients that gave up stay connected outside their room: the next restart brings them
      // back (the client library joins every room again on a reconnection).
      if (r.timedOut) log(`    not every client came back within ${timeoutMs / 1000} s`);
      await quiet(context, 30_000);
    }
    const failure = target.failure();
    if (failure) throw new Error(failure);
    return { clients: connected.connected, rooms, seedMessages, setupSeconds, runs };
  });
}

interface StormSettings {
  clients: number;
  history: boolean;
  redisPort?: number;
  seederCost: Record<string, number>;
  seqs: Record<string, number>;
  roomNames: string[];
  catchUpMessages: number;
  timeoutMs: number;
  /** The clients re-join in the handshake (the target answers `auth.join`). */
  joinOnConnect: boolean;
  /** With --profile: V8's CPU profile of the first node from its restart until all are back. */
  profileFile?: string;
}

async function storm(
  context: ScenarioContext,
  target: RunningTarget,
  signal: RestartSignal,
  settings: StormSettings,
): Promise<{ result: StormRun; seqs: Record<string, number> }> {
  const { pool } = context;
  const { clients, history, redisPort } = settings;
  await pool.stormArm();
  // Redis's idle rate (the nodes' heartbeats and sweeps), then its counters at the signal.
  let idlePerSec: Record<string, number> = {};
  let redisBefore: Record<string, number> = {};
  if (redisPort) {
    const first = await redisCounters(redisPort);
    const startedAt = performance.now();
    await sleep(2000);
    redisBefore = await redisCounters(redisPort);
    const seconds = (performance.now() - startedAt) / 1000;
    idlePerSec = Object.fromEntries(
      Object.entries(minus(redisBefore, first)).map(([key, n]) => [key, n / seconds]),
    );
  }
  const pidsBefore = target.pids();
  const cpuBefore = new Map(pidsBefore.map((pid) => [pid, cpuSecondsOf(pid)]));
  const writesBefore = new Map(pidsBefore.map((pid) => [pid, writesOf(pid).calls]));
  const generator = new CpuMeter(() => pool.pids());
  generator.start();

  const overflowsBefore = listenOverflows();
  const restarted = await target.restart?.(signal);
  if (!restarted) throw new Error('the target cannot be restarted');
  const t0 = restarted.signalledAt;
  // What the nodes' start cost Redis (loading scripts, sweeping the dead node's presence…),
  // before the clients are back: not counted per reconnect.
  const redisAtReady = redisPort ? await redisCounters(redisPort) : undefined;
  const stopProfile = settings.profileFile ? await target.profile() : undefined;
  let seqs = settings.seqs;
  let seeding: Promise<void> | undefined;
  let seeded = !history;
  let seededAt: number | undefined;
  let seedError: string | undefined;
  if (history) {
    seeding = pool
      .stormSeed(
        target.urls[0] as string,
        WORKSPACE,
        settings.roomNames,
        settings.catchUpMessages,
        60_000,
      )
      .then((report) => {
        seededAt = epochMs();
        seqs = { ...seqs, ...report.seqs };
        if (report.failed > 0) seedError = report.errors.join('; ');
        seeded = true;
      });
  }

  // Until every client is back, or the time is up.
  let timedOut = false;
  for (;;) {
    const reports = await pool.stormReports(false);
    const rejoined = sumOf(reports, (report) => report.rejoined);
    if (seeded && rejoined >= clients && (!history || caughtUp(reports, seqs))) break;
    if (epochMs() - t0 > settings.timeoutMs) {
      timedOut = true;
      break;
    }
    await sleep(POLL_MS);
  }
  const endedAt = epochMs();
  if (stopProfile && settings.profileFile) {
    await stopProfile(settings.profileFile);
    context.log(renderProfile(summarizeProfile(settings.profileFile, 40)));
  }
  await seeding;
  const pidsAfter = target.pids();
  const serverCpuSecondsByProcess = pidsAfter.map(
    (pid) => cpuSecondsOf(pid) - (cpuBefore.get(pid) ?? 0),
  );
  const serverCpuSeconds = serverCpuSecondsByProcess.reduce((total, seconds) => total + seconds, 0);
  // A new node's counts start with it; a process that lived on (Redis) counts from the signal.
  const serverWrites = pidsAfter.map((pid) => writesOf(pid).calls - (writesBefore.get(pid) ?? 0));
  const generatorCpu = generator.read();
  const redisAfter = redisPort ? await redisCounters(redisPort) : undefined;
  const reports = await pool.stormReports(true);
  if (seedError) context.log(`    the harness's sends after the restart failed: ${seedError}`);

  const times = reports.flatMap((report) => report.times ?? []);
  const reconnectMs: number[] = [];
  const rejoinMs: number[] = [];
  const backMs: number[] = [];
  for (const client of times) {
    if (client.reconnectedAt) reconnectMs.push(client.reconnectedAt - t0);
    if (!client.rejoinedAt) continue;
    rejoinMs.push(client.rejoinedAt - t0);
    if (!history) backMs.push(client.rejoinedAt - t0);
    else if (client.seq >= (seqs[client.room] ?? 0))
      backMs.push(Math.max(client.rejoinedAt, client.seqAt) - t0);
  }
  const back = backMs.length;
  const all = (values: number[]) =>
    values.length >= clients ? round(Math.max(...values)) : undefined;

  let redis: RedisCost | undefined;
  if (redisAfter && back > 0) {
    const seconds = (endedAt - t0) / 1000 + 0.0;
    const delta = minus(redisAfter, redisAtReady ?? redisBefore);
    const corrected: Record<string, number> = {};
    for (const [key, n] of Object.entries(delta)) {
      const value =
        n - (idlePerSec[key] ?? 0) * seconds - (history ? (settings.seederCost[key] ?? 0) : 0);
      if (value > 0.5) corrected[key] = value;
    }
    const { total = 0, reads = 0, ...byCommand } = corrected;
    const perReconnect = (n: number) => Math.round((n / back) * 100) / 100;
    redis = {
      clientCommandsPerReconnect: perReconnect(total),
      callsPerReconnect: perReconnect(Object.values(byCommand).reduce((a, b) => a + b, 0)),
      readsPerReconnect: perReconnect(reads),
      byCommand: Object.fromEntries(
        Object.entries(byCommand)
          .sort(([, a], [, b]) => b - a)
          .filter(([, n]) => n / back >= 0.01)
          .map(([key, n]) => [key, perReconnect(n)]),
      ),
      idleCommandsPerSec: Math.round(idlePerSec.total ?? 0),
      seederCommands: history ? (settings.seederCost.total ?? 0) : 0,
      startupCommands: redisAtReady ? (redisAtReady.total ?? 0) - (redisBefore.total ?? 0) : 0,
    };
  }
  const events = mergeCounts(reports.map((report) => report.events));
  const recovered = sumOf(reports, (report) => report.recovered);
  const wall = (endedAt - t0) / 1000;
  const result: StormRun = {
    signal,
    clients,
    restart: {
      exitMs: round(restarted.exitedAt - t0),
      listeningMs: round(restarted.listeningAt - t0),
      readyMs: round(restarted.readyAt - t0),
    },
    allReconnectedMs: all(reconnectMs),
    allRejoinedMs: all(rejoinMs),
    allBackMs: all(backMs),
    reconnected: reconnectMs.length,
    rejoined: rejoinMs.length,
    back,
    reconnectMs: percentiles(reconnectMs),
    backMs: percentiles(backMs),
    attemptsPerClient: round(sumOf(reports, (report) => report.attempts) / clients),
    connectErrors: mergeCounts(reports.map((report) => report.connectErrors)),
    refusals: mergeCounts(reports.map((report) => report.refusals)),
    joinFailures: mergeCounts(reports.map((report) => report.joinFailures)),
    joinsGivenUp: sumOf(reports, (report) => report.joinsGivenUp),
    recovered,
    notRecovered: sumOf(reports, (report) => report.notRecovered),
    messagesPerRecovery:
      recovered > 0 ? round(sumOf(reports, (report) => report.messagesRecovered) / recovered) : 0,
    listsLeftOut: sumOf(reports, (report) => report.listsLeftOut ?? 0),
    joinAnswerBytes: round(sumOf(reports, (report) => report.joinAnswerBytes ?? 0) / clients),
    catchUpMessagesPerRoom: history ? settings.catchUpMessages : 0,
    rejoinedInHandshake: settings.joinOnConnect,
    ...(seededAt !== undefined && { catchUpSentMs: round(seededAt - t0) }),
    serverCpuSeconds: round(serverCpuSeconds),
    serverCpuSecondsByProcess: serverCpuSecondsByProcess.map(round),
    serverCpuPercent: round((100 * serverCpuSeconds) / wall),
    serverWritesPerReconnect: serverWrites.map((calls) => (back > 0 ? round(calls / back) : 0)),
    generatorCpuPercent: round(generatorCpu.corePercent),
    listenOverflows: listenOverflows() - overflowsBefore,
    ...(redis && { redis }),
    framesPerReconnect: Object.fromEntries(
      Object.entries(events).map(([event, n]) => [event, back > 0 ? round(n / back) : 0]),
    ),
    curve: curveOf(backMs, clients),
    reconnectCurve: curveOf(reconnectMs, clients),
    timedOut,
  };
  return { result, seqs };
}

function fmtMs(value: number | undefined): string {
  return value === undefined ? 'not all' : `${fmt(Math.round(value))} ms`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
