import { setTimeout as sleep } from 'node:timers/promises';
import type { ListQuery } from '../clients/commands';
import type { PoolStats } from '../clients/pool';
import type { ClientSpec } from '../clients/raw-socketio';
import { type LatencySummary, newLatencyHistogram, summarize } from '../latency';
import { CpuMeter } from '../proc-stats';
import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, sourceAddress } from './context';
import { drain, fmt } from './measure';

/** Only Parley has a room list: bare Socket.IO and ws are not measured here. */
export const BIG_WORKSPACE_TARGETS: readonly TargetName[] = ['parley', 'parley-redis'];

export const LIST_KINDS = ['first', 'deep', 'prefix'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export interface ListFigures {
  latency: LatencySummary;
  answered: number;
  failed: number;
  /** Average bytes of one answer (the acknowledgement's Socket.IO packet). */
  answerBytes: number;
}

/** One measurement, with `rooms` rooms in the workspace. */
export interface WorkspaceSize {
  rooms: number;
  /** How fast this size's new rooms were made (a join and a leave each), and how many failed. */
  createdPerSec: number;
  createFailures: number;
  /** Every server process (Redis included) after a forced GC, with no client connected. */
  rssBytes: number;
  /** V8 heap in use, every node together, at the same moment. */
  heapUsedBytes: number;
  /** By kind of query; `all` merges them. */
  lists: Record<ListKind | 'all', ListFigures>;
  messagesPerSec: number;
  rejectedMessages: number;
  /** From `message:send` to its acknowledgement. */
  ack: LatencySummary;
  /** From `message:send` to each other member's `message:new`. */
  delivery: LatencySummary;
  deliveredPerSec: number;
  serverCpuPercent: number;
  generatorCpuPercent: number;
}

export interface BigWorkspaceResult {
  /** RSS of the server processes before any room was made. */
  emptyRssBytes: number;
  /**
   * Growth per room from the smallest size to the largest: both measured with a server that has
   * warmed up the same way, which the empty one has not. RSS also holds what V8 keeps of the heap
   * it grew while the rooms were made; the heap is what the rooms themselves hold in the nodes.
   */
  rssPerRoomBytes: number;
  heapPerRoomBytes: number;
  sizes: WorkspaceSize[];
}

const WORKSPACE = 'bench';
const CHAT_ROOM = 'chat';
const PAGE = 50;
const WINDOW = 32;

/**
 * The n-th room's name. An odd multiplier permutes 32-bit numbers, so names are unique and come
 * in no order: each new room lands anywhere in the name index, as real names would.
 */
export function roomName(index: number): string {
  const scrambled = Math.imul(index + 1, 0x9e3779b1) >>> 0;
  return `room-${scrambled.toString(16).padStart(8, '0')}`;
}

/** First index in sorted `names` whose name is not below `name`. */
function lowerBound(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((names[middle] as string) < name) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The lobbies' queries at one size, all answered with a full page whatever the size, so sizes
 * differ only in the rooms around the page: the first page; a page after a cursor anywhere in
 * the index; a prefix search, each the longest prefix of a room's name that still fills a page
 * (as a search narrows while someone types).
 */
export function listQueries(sorted: readonly string[], count = 16): ListQuery[] {
  const queries: ListQuery[] = [];
  const pick = (below: number) => sorted[Math.floor(Math.random() * below)] as string;
  for (let i = 0; i < count; i++) {
    queries.push({ kind: 'first', payload: {} });
    queries.push({ kind: 'deep', payload: { cursor: pick(Math.max(1, sorted.length - PAGE)) } });
    const name = pick(sorted.length);
    let prefix = 'room-';
    for (let length = name.length; length > prefix.length; length--) {
      const candidate = name.slice(0, length);
      const matches = lowerBound(sorted, `${candidate}\uffff`) - lowerBound(sorted, candidate);
      if (matches >= PAGE) {
        prefix = candidate;
        break;
      }
    }
    queries.push({ kind: 'prefix', payload: { prefix } });
  }
  return queries;
}

/** Makes `names` rooms with connections that join and leave them; answers rooms per second. */
async function createRooms(
  context: ScenarioContext,
  target: RunningTarget,
  names: readonly string[],
): Promise<{ perSec: number; failed: number }> {
  const { pool, options } = context;
  const { makers, makerWindow } = options.bigWorkspace;
  const specs: ClientSpec[] = Array.from({ length: makers }, (_, index) => ({
    url: target.urls[index % target.urls.length] as string,
    workspace: WORKSPACE,
    userId: `maker-${index}`,
    probe: false,
    sends: false,
    localAddress: sourceAddress(index),
  }));
  const connected = await pool.connect(specs);
  if (connected.connected === 0)
    throw new Error(`no room maker connected: ${connected.errors.join('; ')}`);
  const created = await pool.createRooms(names, { window: makerWindow });
  await pool.closeClients();
  if (created.failed > 0)
    context.log(`    ${created.failed} rooms not made: ${created.errors.join('; ')}`);
  return {
    perSec: Math.round(created.created / (created.elapsedMs / 1000)),
    failed: created.failed,
  };
}

/**
 * With the workspace at its current size: lobbies list rooms while one member of a small room
 * sends to the others, both at fixed rates; one window measured after a warm-up.
 */
async function measureWorkspace(
  context: ScenarioContext,
  target: RunningTarget,
  sorted: readonly string[],
  warmupMs: number,
): Promise<
  Omit<WorkspaceSize, 'rooms' | 'createdPerSec' | 'createFailures' | 'rssBytes' | 'heapUsedBytes'>
> {
  const { pool, options } = context;
  const { lobbies, listsPerSec, members, messagesPerSec, windowMs, makers } = options.bigWorkspace;
  const node = (index: number) => target.urls[index % target.urls.length] as string;
  const specs: ClientSpec[] = [
    // Member 0 sends; on two nodes the receivers alternate between them.
    ...Array.from({ length: members }, (_, index) => ({
      url: node(index),
      workspace: WORKSPACE,
      room: CHAT_ROOM,
      userId: `member-${index}`,
      probe: index > 0,
      probeAcks: index === 0,
      sends: index === 0,
      localAddress: sourceAddress(index),
    })),
    ...Array.from({ length: lobbies }, (_, index) => ({
      url: node(index),
      workspace: WORKSPACE,
      userId: `lobby-${index}`,
      probe: false,
      sends: false,
      localAddress: sourceAddress(makers + index),
    })),
  ];
  const connected = await pool.connect(specs);
  if (connected.failed > 0) throw new Error(`clients failed: ${connected.errors.join('; ')}`);

  const server = new CpuMeter(() => target.pids());
  const generator = new CpuMeter(() => pool.pids());
  await pool.setRate(messagesPerSec, WINDOW);
  await pool.setListRate(listsPerSec / lobbies, WINDOW, listQueries(sorted));
  await sleep(warmupMs);
  const before = await pool.stats(true);
  server.start();
  generator.start();
  await sleep(windowMs);
  const after = await pool.stats(true);
  const serverCpu = server.read();
  const generatorCpu = generator.read();
  await pool.setListRate(0, WINDOW, []);
  await pool.setRate(0, WINDOW);
  await drain(pool, { maxMs: 2000 });
  await pool.closeClients();
  const failure = target.failure();
  if (failure) throw new Error(failure);

  const seconds = serverCpu.wallSeconds;
  return {
    lists: listFigures(before.lists, after.lists),
    messagesPerSec: Math.round((after.sent - before.sent) / seconds),
    rejectedMessages: after.rejected - before.rejected,
    ack: summarize(after.ackLatency),
    delivery: summarize(after.latency),
    deliveredPerSec: Math.round((after.delivered - before.delivered) / seconds),
    serverCpuPercent: Math.round(serverCpu.corePercent),
    generatorCpuPercent: Math.round(generatorCpu.corePercent),
  };
}

/** Each kind's figures over a window (counters are cumulative, latency since `before`). */
function listFigures(
  before: PoolStats['lists'],
  after: PoolStats['lists'],
): WorkspaceSize['lists'] {
  const figures = (kinds: readonly string[]): ListFigures => {
    const latency = newLatencyHistogram();
    let answered = 0;
    let failed = 0;
    let bytes = 0;
    for (const kind of kinds) {
      const now = after.get(kind);
      const then = before.get(kind);
      if (!now) continue;
      latency.add(now.latency);
      answered += now.answered - (then?.answered ?? 0);
      failed += now.failed - (then?.failed ?? 0);
      bytes += now.bytes - (then?.bytes ?? 0);
    }
    return {
      latency: summarize(latency),
      answered,
      failed,
      answerBytes: answered > 0 ? Math.round(bytes / answered) : 0,
    };
  };
  return {
    first: figures(['first']),
    deep: figures(['deep']),
    prefix: figures(['prefix']),
    all: figures(LIST_KINDS),
  };
}

/**
 * One workspace grown to each size in turn (rooms made by joining and leaving them, so they
 * stay, empty, as most rooms of a big workspace are), measured at each: `room:list` latency and
 * answer size, `message:send` ack and delivery latency in a small room, server CPU and memory.
 * The smallest size is the baseline the larger ones are read against.
 */
export async function runBigWorkspace(
  context: ScenarioContext,
  name: TargetName,
): Promise<BigWorkspaceResult> {
  const { options, log } = context;
  const { sizes, settleMs } = options.bigWorkspace;
  return context.withFreshTarget(name, async (target) => {
    await sleep(settleMs);
    const emptyRssBytes = (await target.memoryOfAll()).rssBytes;
    const names: string[] = [];
    const measured: WorkspaceSize[] = [];
    for (const [step, rooms] of sizes.entries()) {
      const fresh = Array.from({ length: rooms - names.length }, (_, i) =>
        roomName(names.length + i),
      );
      const created = await createRooms(context, target, fresh);
      names.push(...fresh);
      await sleep(settleMs); // the makers' connections closed: let the server let go of them
      const { rssBytes, heapUsedBytes } = await target.memoryOfAll();
      // The first window also warms the JIT on the list and send paths.
      const warmupMs = step === 0 ? 4 * options.warmupMs : options.warmupMs;
      const figures = await measureWorkspace(context, target, [...names].sort(), warmupMs);
      const size: WorkspaceSize = {
        rooms,
        createdPerSec: created.perSec,
        createFailures: created.failed,
        rssBytes,
        heapUsedBytes,
        ...figures,
      };
      measured.push(size);
      const { all } = size.lists;
      log(
        `    ${fmt(rooms)} rooms (${fmt(created.perSec)} made/s): room:list p50 ${all.latency.p50Ms} / p99 ${all.latency.p99Ms} ms, ` +
          `${fmt(all.answerBytes)} B; send ack p99 ${size.ack.p99Ms} ms, delivery p99 ${size.delivery.p99Ms} ms; ` +
          `RSS ${Math.round(rssBytes / 2 ** 20)} MiB`,
      );
    }
    const smallest = measured[0] as WorkspaceSize;
    const largest = measured.at(-1) as WorkspaceSize;
    const perRoom = (key: 'rssBytes' | 'heapUsedBytes') =>
      largest === smallest
        ? 0
        : Math.round((largest[key] - smallest[key]) / (largest.rooms - smallest.rooms));
    return {
      emptyRssBytes,
      rssPerRoomBytes: perRoom('rssBytes'),
      heapPerRoomBytes: perRoom('heapUsedBytes'),
      sizes: measured,
    };
  });
}
