/**
 * The one place Parley reaches into node-redis's private parts (pinned exactly in
 * pnpm-workspace.yaml; node-redis-internals.test.ts fails when an upgrade changes them).
 *
 * node-redis's Cluster client refreshes its slot map only when a node answers MOVED or ASK
 * (redis/node-redis#2806). When a master dies, nobody answers at all: its slots stay mapped to the
 * dead address and every command for them fails, for ever, although a replica took over seconds
 * later. Parley notices the dead master itself (cluster.ts) and asks the client to rediscover
 * through a live node — a method the client has, but does not expose.
 */

/** Makes `cluster` reload its slot map from the node `via` is connected to. */
export type Rediscover = (via: { options?: unknown }) => Promise<void>;

interface ClusterWithSlots {
  _slots?: { rediscover?: (startWith: { options?: unknown }) => Promise<void> };
}

/**
 * The cluster client's rediscovery, or undefined when this node-redis no longer has it where it
 * used to be (then failovers are followed only where a node answers MOVED; the caller warns).
 */
export function clusterRediscovery(cluster: object): Rediscover | undefined {
  const slots = (cluster as ClusterWithSlots)._slots;
  const rediscover = slots?.rediscover;
  if (typeof rediscover !== 'function') return undefined;
  return (via) => rediscover.call(slots, via);
}
