import type { Logger } from '../../logger';
import {
  connectionDifference,
  type EngineConnection,
  type InstalledVersions,
  namespacesOf,
  queuedPackets,
  startupDifferences,
  usableConnection,
  websocketClosing,
} from '../engine-internals';
import type { ParleyIo } from '../types';
import { writeBroadcastFramesDirectly } from './broadcast-frames';
import { answerUpgradesInOneWrite } from './upgrade-answer';
import { batchEngineWrites } from './write-batching';

export { writesTogether } from './write-batching';

/**
 * The fast path: how a broadcast reaches its recipients' sockets without engine.io's work per
 * recipient (broadcast-frames.ts) and leaves each socket in one system call per event-loop turn
 * (write-batching.ts). It took fan-out from about bare Socket.IO's speed to 5-10 times it
 * (docs/benchmarks.md), and it is built on private parts of socket.io, socket.io-adapter,
 * engine.io and ws, read only through ../engine-internals.ts and pinned exactly in
 * pnpm-workspace.yaml.
 *
 * This is its one seam: the server calls `installFastPath` once, and code that sends one update
 * as several events wraps them in `writesTogether`; nothing else of this folder is used outside.
 * Off (`FAST_PATH=false`, or when the start-up check finds versions or shapes it was not written
 * against) every packet takes Socket.IO's own path: the same bytes in the same order, slower.
 */
export interface FastPath {
  /** On: the config asked for it and the start-up check found what it was written against. */
  readonly enabled: boolean;
  /** What it did since start (a copy); all zero while it is off. */
  stats(): FastPathStats;
  /**
   * Resolves once no connection has packets waiting in engine.io's queue, or after `timeoutMs`.
   * Frames written straight to TCP sockets are not in that queue: they are in the socket
   * already, and ws closes after what the socket holds.
   */
  drained(timeoutMs: number): Promise<void>;
}

export interface FastPathStats {
  /** Connections it was installed on. */
  connections: number;
  /** Broadcast frames written straight to an idle connection's TCP socket. */
  directFrames: number;
  /** Socket writes held in a cork to leave with the rest of their event-loop turn. */
  heldWrites: number;
  /**
   * Corks released at the end of a turn or of a `writesTogether` block: each sends what it held
   * in one system call.
   */
  batches: number;
}

export interface FastPathOptions {
  /** `FAST_PATH` (config.fastPath): false leaves delivery to Socket.IO. */
  enabled: boolean;
  /**
   * Asked before a packet waits in a connection's queue; false drops it. The slow-reader cap
   * (../slow-readers.ts): a limit, not an optimisation, so it stays on with the fast path off.
   */
  mayQueue?: (connection: EngineConnection) => boolean;
  /** For tests: the versions the start-up check compares, instead of the installed ones. */
  versions?: InstalledVersions;
}

/**
 * Installs the fast path on every connection `io` makes from now on; call after `io.attach` and
 * after anything else that wraps the HTTP server's `upgrade` listeners.
 */
export function installFastPath(io: ParleyIo, options: FastPathOptions, log: Logger): FastPath {
  const { mayQueue = () => true } = options;
  const stats: FastPathStats = { connections: 0, directFrames: 0, heldWrites: 0, batches: 0 };
  const enabled = options.enabled && startupCheck(io, options.versions, log);
  if (!options.enabled) log.info("fast path off (FAST_PATH=false): Socket.IO's own paths");
  // Attached to an HTTP server (tests may install it on a bare `io`).
  const upgrades = enabled && io.httpServer ? answerUpgradesInOneWrite(io.httpServer) : undefined;

  let connectionWarned = false;
  io.engine.on('connection', (connection: unknown) => {
    const difference = connectionDifference(connection);
    if (difference !== undefined) {
      // Slower, as correct: Socket.IO's own paths, without the slow-reader cap (it reads these).
      if (!connectionWarned) {
        log.warn(
          { difference },
          'engine.io connections differ from what the fast path reads: it and the slow-reader cap are off for them',
        );
      }
      connectionWarned = true;
      return;
    }
    const engineConnection = connection as EngineConnection;
    if (!enabled) {
      admitBeforeQueueing(engineConnection, mayQueue);
      return;
    }
    stats.connections++;
    // Its `101` and open packet leave together, before batching takes over its writes.
    upgrades?.opened(engineConnection);
    batchEngineWrites(engineConnection, stats);
    writeBroadcastFramesDirectly(engineConnection, mayQueue, stats);
  });

  return {
    enabled,
    stats: () => ({ ...stats }),
    drained: (timeoutMs) => drained(io, timeoutMs),
  };
}

/** False, with one warning naming what differs, when an upgrade changed what the path reads. */
function startupCheck(io: ParleyIo, versions: InstalledVersions | undefined, log: Logger): boolean {
  const differences = startupDifferences(io, versions);
  if (differences.length === 0) return true;
  log.warn(
    { differences },
    `the fast path is off (broadcast frames, write batching): ${differences.join('; ')}. Read socket/engine-internals.ts against the new versions, then update KNOWN_VERSIONS and the pins in pnpm-workspace.yaml`,
  );
  return false;
}

/**
 * The slow-reader cap alone, on Socket.IO's own path; and, as with the fast path, nothing
 * written to a websocket its client has ended (engine.io writes a broadcast's pre-encoded frame
 * without ws's open check either way: see broadcast-frames.ts).
 */
function admitBeforeQueueing(
  connection: EngineConnection,
  mayQueue: (connection: EngineConnection) => boolean,
): void {
  const write = connection.write;
  connection.write = function admitOrDrop(this: EngineConnection, data, options, callback) {
    return !websocketClosing(this) && mayQueue(this)
      ? write.call(this, data, options, callback)
      : this;
  };
}

async function drained(io: ParleyIo, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const waiting = () =>
    [...namespacesOf(io).all()].some((namespace) =>
      [...namespace.sockets.values()].some(
        (socket) => usableConnection(socket.conn) && queuedPackets(socket.conn) > 0,
      ),
    );
  while (waiting() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}
