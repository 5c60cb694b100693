import type { OpsNode, OpsOverview } from '@parley/protocol';

/**
 * A node heartbeats every PRESENCE_TTL_SECONDS / 3 (10 s by default); a report older than about
 * three heartbeats means the node is stuck, cut off from the store, or gone.
 */
export const STALE_AFTER_MS = 30_000;

/** How old a node's report was when the overview was made (both on the server's clocks). */
export function reportAgeMs(node: OpsNode, at: string): number {
  return Math.max(0, Date.parse(at) - Date.parse(node.reportedAt));
}

export function isStale(node: OpsNode, at: string): boolean {
  return reportAgeMs(node, at) > STALE_AFTER_MS;
}

export function staleNodes(overview: OpsOverview): Set<string> {
  return new Set(
    overview.nodes.filter((node) => isStale(node, overview.at)).map((node) => node.id),
  );
}

/** `3 s`, `4 min 5 s`, `2 h 3 min`, `1 d 2 h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `512 KiB`, `48.3 MiB`, `1.2 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A rate per second, with a sensible number of digits. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  return String(Math.round(perSecond));
}
