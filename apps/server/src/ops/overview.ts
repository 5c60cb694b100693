import type { OpsNode, OpsOverview, OpsRoom } from '@parley/protocol';
import type { Services } from '../services';
import type { NodeReport } from '../stores/types';

/** As many as the overview lists (OpsOverview's bound). */
const BUSIEST_ROOMS = 20;

/**
 * The cluster as the stores and the nodes' heartbeat reports show it: nothing is asked of any
 * other node, so the answer costs the same however many sockets the cluster holds. `own` is this
 * node's report made just now (fresher than the one it last wrote). Whatever the store cannot
 * answer is left out or null, never an error: this is what someone looks at during an outage.
 */
export async function opsOverview(services: Services, own: NodeReport): Promise<OpsOverview> {
  const { stores, config } = services;
  const [reported, store, messages, presence] = await Promise.all([
    stores.nodes.all().catch(() => [] as NodeReport[]),
    checkStore(services),
    stores.webhookQueues.messages.size().catch(() => null),
    stores.webhookQueues.presence.size().catch(() => null),
  ]);
  const reports = [own, ...reported.filter((report) => report.id !== own.id)].sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  return {
    at: new Date().toISOString(),
    nodes: reports.map(nodeOf),
    busiestRooms: mergeRooms(reports),
    store: { kind: config.redis?.topology.kind ?? 'memory', ...store },
    webhookBacklog: { messages, presence },
  };
}

/** A report as the overview lists it (what it carries besides is left out). */
function nodeOf(report: NodeReport): OpsNode {
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  return {
    id: report.id,
    startedAt: report.startedAt,
    reportedAt: report.reportedAt,
    connections: Math.floor(count(report.connections)),
    rooms: Math.floor(count(report.rooms)),
    eventLoopLagMs: count(report.eventLoopLagMs),
    heapUsedBytes: count(report.heapUsedBytes),
    messagesStored: Math.floor(count(report.messagesStored)),
    deliveries: Math.floor(count(report.deliveries)),
  };
}

/**
 * Sockets per room summed over the nodes' busiest rooms. Each node lists its top rooms only, so
 * a room spread thinly over many nodes may be counted short (or missed): the busiest rooms of a
 * cluster are, in practice, busy on the nodes they are on.
 */
export function mergeRooms(reports: readonly Pick<NodeReport, 'busiestRooms'>[]): OpsRoom[] {
  const sums = new Map<string, OpsRoom>();
  for (const { busiestRooms } of reports) {
    for (const { workspace, room, sockets } of busiestRooms ?? []) {
      const key = `${workspace}/${room}`;
      const sum = sums.get(key);
      if (sum) sum.sockets += sockets;
      else sums.set(key, { workspace, room, sockets });
    }
  }
  return [...sums.values()]
    .sort(
      (a, b) =>
        b.sockets - a.sockets ||
        a.workspace.localeCompare(b.workspace) ||
        a.room.localeCompare(b.room),
    )
    .slice(0, BUSIEST_ROOMS);
}

/** Whether the store answers a check now, and how fast (null when it did not). */
async function checkStore({
  stores,
}: Services): Promise<{ ok: boolean; latencyMs: number | null }> {
  const started = performance.now();
  const ok = await stores.ready().catch(() => false);
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  return { ok, latencyMs: ok ? latencyMs : null };
}
