import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientSpec } from '../clients/raw-socketio';
import { openFilesLimit } from '../processes';
import type { MemoryReading, TargetName } from '../servers/targets';
import { type ScenarioContext, sourceAddress } from './context';

export interface IdleMemoryResult {
  sockets: number;
  connected: number;
  before: MemoryReading;
  after: MemoryReading;
  rssPerSocketBytes: number;
  heapPerSocketBytes: number;
}

/** Descriptors a server holds besides its clients' sockets (listeners, logs, Redis, IPC…). */
const FILES_BESIDES_SOCKETS = 200;

/**
 * Server memory per connected, authenticated socket that has joined a room: memory after a
 * forced GC with the sockets connected, minus before any connected, divided by their number.
 * Workspaces are kept to `workspaceSize` sockets because Parley tells a whole workspace of each
 * join (room:updated), which would make setting up one huge workspace quadratic.
 */
export async function runIdleMemory(
  context: ScenarioContext,
  name: TargetName,
): Promise<IdleMemoryResult> {
  const { options, pool } = context;
  const { workspaceSize, roomSize, settleMs } = options.memory;
  // One descriptor per socket in each server process holding them (a PARLEY_WORKERS node's
  // workers share them out), and in each load-generator process; a few for everything else.
  // A target of one process gets at most what one process may hold here (reported with it), so
  // a count past that still compares the processes side by side in one run.
  const limit = openFilesLimit();
  const serverProcesses = name === 'parley-workers' ? options.parleyWorkers : 1;
  const mostPerServer = limit - FILES_BESIDES_SOCKETS;
  const sockets = Math.min(options.memory.sockets, mostPerServer * serverProcesses);
  if (sockets < options.memory.sockets) {
    context.log(
      `  ${sockets} sockets, not ${options.memory.sockets}: ${serverProcesses} server ` +
        `process(es) of ${limit} open files each (ulimit -Hn; --parley-workers spreads more)`,
    );
  }
  const perGenerator = Math.ceil(sockets / pool.size);
  if (perGenerator + FILES_BESIDES_SOCKETS > limit) {
    throw new Error(
      `${sockets} sockets need ${perGenerator} open files in each of the ${pool.size} load ` +
        `generator processes, over this machine's ${limit}: run more (--workers)`,
    );
  }
  return context.withFreshTarget(name, async (target) => {
    await sleep(Math.min(300, settleMs));
    const before = await target.memory();
    const specs: ClientSpec[] = Array.from({ length: sockets }, (_, index) => ({
      url: target.urls[0] as string,
      workspace: `ws-${Math.floor(index / workspaceSize)}`,
      room: `room-${Math.floor(index / roomSize)}`,
      userId: `user-${index}`,
      probe: false,
      sends: false,
      localAddress: sourceAddress(index),
    }));
    const connected = await pool.connect(specs, { concurrency: 100, timeoutMs: 60_000 });
    if (connected.failed > 0)
      context.log(`  ${connected.failed} sockets failed: ${connected.errors.join('; ')}`);
    await sleep(settleMs);
    const after = await target.memory();
    await pool.closeClients();
    const perSocket = (key: keyof MemoryReading) =>
      Math.round((after[key] - before[key]) / Math.max(1, connected.connected));
    const result = {
      sockets,
      connected: connected.connected,
      before,
      after,
      rssPerSocketBytes: perSocket('rssBytes'),
      heapPerSocketBytes: perSocket('heapUsedBytes'),
    };
    context.log(
      `    ${connected.connected} sockets: ${(result.rssPerSocketBytes / 1024).toFixed(1)} KiB RSS, ` +
        `${(result.heapPerSocketBytes / 1024).toFixed(1)} KiB heap per socket`,
    );
    return result;
  });
}
