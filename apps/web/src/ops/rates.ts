/**
 * Rates from counters. The operations overview gives totals since each node started; a rate is
 * the increase between two readings divided by the seconds between them. A node that restarted
 * starts counting from zero again: a reading below the one before (or one from a node started
 * anew) is a reset, and its whole value is what was counted since.
 */

/** One reading of a counter: when (ms since the epoch) and its value then. */
export interface Reading {
  at: number;
  value: number;
  /** When the counting process started (ms); a different one means it restarted. */
  startedAt?: number;
}

/** A rate per second over the interval that ends at `at`. */
export interface RatePoint {
  at: number;
  value: number;
}

/** How much a counter grew from `prev` to `next`, a restart counting as a reset to zero. */
export function increase(prev: Reading, next: Reading): number {
  const restarted =
    next.value < prev.value ||
    (prev.startedAt !== undefined &&
      next.startedAt !== undefined &&
      next.startedAt !== prev.startedAt);
  return restarted ? next.value : next.value - prev.value;
}

/** The rate per second between two readings; null when no time passed between them. */
export function ratePerSecond(prev: Reading, next: Reading): number | null {
  const seconds = (next.at - prev.at) / 1000;
  if (!(seconds > 0)) return null;
  return increase(prev, next) / seconds;
}

/** The rates between successive readings (readings out of order or at one time are skipped). */
export function rates(series: readonly Reading[]): RatePoint[] {
  const out: RatePoint[] = [];
  let prev: Reading | undefined;
  for (const reading of series) {
    if (prev) {
      const rate = ratePerSecond(prev, reading);
      if (rate === null) continue;
      out.push({ at: reading.at, value: rate });
    }
    prev = reading;
  }
  return out;
}

/** What the page keeps of one node's counters between polls. */
export interface NodeCounters {
  /** When the node reported these (its heartbeat), ms. */
  reportedAt: number;
  startedAt: number;
  messagesStored: number;
  deliveries: number;
}

/** A node's rates, as of its last two distinct reports. */
export interface NodeRates {
  messages: number;
  deliveries: number;
}

export interface RateHistory {
  /** Each node's last report, and its rates from the two last distinct reports. */
  nodes: ReadonlyMap<string, { last: NodeCounters; rates: NodeRates | null }>;
  /** The cluster's rates at each poll (oldest first), at most `limit` points. */
  messages: readonly RatePoint[];
  deliveries: readonly RatePoint[];
}

export const EMPTY_HISTORY: RateHistory = { nodes: new Map(), messages: [], deliveries: [] };

export interface PollReading {
  /** When the overview was made (the server's clock), ms. */
  at: number;
  nodes: readonly ({ id: string } & NodeCounters)[];
  /** Nodes whose last report is too old to trust: they add nothing to the cluster's rates. */
  stale?: ReadonlySet<string>;
}

/**
 * The history after one more poll. A node's counters are as of its own report (`reportedAt`),
 * which may come less often than the page polls: its rate is the increase between its two last
 * distinct reports over the time between them, and holds until it reports again. The cluster's
 * rate is the sum over the nodes that are not stale. At most `limit` points are kept.
 */
export function recordPoll(history: RateHistory, poll: PollReading, limit = 100): RateHistory {
  const nodes = new Map<string, { last: NodeCounters; rates: NodeRates | null }>();
  let messages = 0;
  let deliveries = 0;
  for (const node of poll.nodes) {
    const before = history.nodes.get(node.id);
    const last: NodeCounters = {
      reportedAt: node.reportedAt,
      startedAt: node.startedAt,
      messagesStored: node.messagesStored,
      deliveries: node.deliveries,
    };
    let nodeRates = before?.rates ?? null;
    if (before && node.reportedAt > before.last.reportedAt) {
      const reading = (counters: NodeCounters, value: number): Reading => ({
        at: counters.reportedAt,
        value,
        startedAt: counters.startedAt,
      });
      nodeRates = {
        messages:
          ratePerSecond(
            reading(before.last, before.last.messagesStored),
            reading(last, last.messagesStored),
          ) ?? 0,
        deliveries:
          ratePerSecond(
            reading(before.last, before.last.deliveries),
            reading(last, last.deliveries),
          ) ?? 0,
      };
    }
    // A report older than the one kept (another node's stale view) changes nothing.
    const kept = before && node.reportedAt < before.last.reportedAt ? before.last : last;
    nodes.set(node.id, { last: kept, rates: nodeRates });
    if (nodeRates && !poll.stale?.has(node.id)) {
      messages += nodeRates.messages;
      deliveries += nodeRates.deliveries;
    }
  }
  const anyRates = [...nodes.values()].some((node) => node.rates !== null);
  if (!anyRates) return { nodes, messages: history.messages, deliveries: history.deliveries };
  const trim = (points: readonly RatePoint[], value: number) =>
    [...points, { at: poll.at, value }].slice(-limit);
  return {
    nodes,
    messages: trim(history.messages, messages),
    deliveries: trim(history.deliveries, deliveries),
  };
}
