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
  const { sockets, workspaceSize, roomSize, settleMs } = options.memory;
  // One descriptor per socket in the server, and a few for everything else it has open.
  const limit = openFilesLimit();
  if (sockets + FILES_BESIDES_SOCKETS > limit) {
    throw new Error(
      `${sockets} sockets need as many open files in one server process, and this machine allows ` +
        `${limit} (ulimit -Hn): raise the hard limit (as root: LimitNOFILE= in a systemd unit, ` +
        `/etc/security/limits.conf, or prlimit --nofile), or ask for at most ` +
        `${limit - FILES_BESIDES_SOCKETS} with --memory-sockets`,
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
