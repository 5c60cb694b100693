import { z } from 'zod';
import { RoomName, WorkspaceSlug } from './names';

/**
 * The operations overview (`GET /api/v1/ops`, with an API key): what a person on call looks at,
 * read from the stores and from each node's heartbeat — never by asking every socket. Counters
 * are totals since each node started; a page that polls computes rates from two answers.
 */
export const OpsNode = z.object({
  /** NODE_ID. */
  id: z.string(),
  startedAt: z.iso.datetime(),
  /** When this node last reported (its heartbeat): older than a few seconds means trouble. */
  reportedAt: z.iso.datetime(),
  connections: z.int().nonnegative(),
  /** Rooms with at least one of this node's sockets in them. */
  rooms: z.int().nonnegative(),
  eventLoopLagMs: z.number().nonnegative(),
  heapUsedBytes: z.number().nonnegative(),
  /** Since the node started. */
  messagesStored: z.int().nonnegative(),
  deliveries: z.int().nonnegative(),
});
export type OpsNode = z.infer<typeof OpsNode>;

export const OpsRoom = z.object({
  workspace: WorkspaceSlug,
  room: RoomName,
  /** Sockets in the room, summed over the nodes' reports. */
  sockets: z.int().nonnegative(),
});
export type OpsRoom = z.infer<typeof OpsRoom>;

export const OpsOverview = z.object({
  at: z.iso.datetime(),
  nodes: z.array(OpsNode),
  /** The busiest rooms, most sockets first, at most 20. */
  busiestRooms: z.array(OpsRoom).max(20),
  store: z.object({
    kind: z.enum(['memory', 'standalone', 'sentinel', 'cluster']),
    /** Whether the store answered a check just now, and how fast. */
    ok: z.boolean(),
    latencyMs: z.number().nonnegative().nullable(),
  }),
  /** Webhook deliveries waiting, per lane (null when the store did not answer). */
  webhookBacklog: z.object({ messages: z.int().nullable(), presence: z.int().nullable() }),
});
export type OpsOverview = z.infer<typeof OpsOverview>;
