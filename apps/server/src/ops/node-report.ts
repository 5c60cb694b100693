import { monitorEventLoopDelay } from 'node:perf_hooks';
import { workspaceOfNamespace } from '@parley/protocol';
import { namespacesOf } from '../socket/engine-internals';
import { isRoomChannel, type ParleyIo, roomChannel } from '../socket/types';
import { NODE_REPORT_MAX_ROOMS, type NodeReport, type ReportedRoom } from '../stores/types';

/** The event-loop delay histogram's sampling interval; every sample includes it. */
const LAG_RESOLUTION_MS = 20;
const ROOM_PREFIX_LENGTH = roomChannel('').length;

export interface NodeReporter {
  /**
   * The node as it is now. `interval: true` (the heartbeat) starts a new interval for the
   * event-loop lag; otherwise the lag is the current interval's so far.
   */
  report(options?: { interval?: boolean }): NodeReport;
  stop(): void;
}

export interface NodeReportSources {
  nodeId: string;
  io: ParleyIo;
  messagesStored(): number;
  deliveries(): number;
}

/** What a node tells the cluster about itself with every heartbeat (the operations overview). */
export function createNodeReporter({
  nodeId,
  io,
  messagesStored,
  deliveries,
}: NodeReportSources): NodeReporter {
  const startedAt = new Date().toISOString();
  const delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  delay.enable();
  let lastLagMs = 0;

  /** The p99 of the interval's samples, less the sampling interval each of them includes. */
  function eventLoopLagMs(interval: boolean): number {
    if (delay.count > 0) {
      lastLagMs = Math.max(0, delay.percentile(99) / 1e6 - LAG_RESOLUTION_MS);
      if (interval) delay.reset();
    }
    return Math.round(lastLagMs * 100) / 100;
  }

  return {
    report({ interval = false } = {}) {
      const { rooms, busiest } = localRooms(io);
      return {
        id: nodeId,
        startedAt,
        reportedAt: new Date().toISOString(),
        connections: io.engine.clientsCount,
        rooms,
        eventLoopLagMs: eventLoopLagMs(interval),
        heapUsedBytes: process.memoryUsage().heapUsed,
        messagesStored: messagesStored(),
        deliveries: deliveries(),
        busiestRooms: busiest,
      };
    },
    stop() {
      delay.disable();
    },
  };
}

/**
 * The node's chat rooms (from each namespace's adapter: its own sockets only) and the busiest of
 * them: one pass, keeping the top few in order, so the cost is the number of rooms.
 */
function localRooms(io: ParleyIo): { rooms: number; busiest: ReportedRoom[] } {
  let rooms = 0;
  const busiest: ReportedRoom[] = [];
  for (const namespace of namespacesOf(io).all()) {
    const workspace = workspaceOfNamespace(namespace.name);
    if (!workspace) continue;
    for (const [channel, sockets] of namespace.adapter.rooms) {
      if (!isRoomChannel(channel) || sockets.size === 0) continue;
      rooms++;
      const last = busiest.at(-1);
      if (busiest.length === NODE_REPORT_MAX_ROOMS && last && last.sockets >= sockets.size) {
        continue;
      }
      const entry = { workspace, room: channel.slice(ROOM_PREFIX_LENGTH), sockets: sockets.size };
      const at = busiest.findIndex((room) => room.sockets < entry.sockets);
      busiest.splice(at === -1 ? busiest.length : at, 0, entry);
      if (busiest.length > NODE_REPORT_MAX_ROOMS) busiest.pop();
    }
  }
  return { rooms, busiest };
}
