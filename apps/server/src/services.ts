import type { MembershipChange } from '@parley/protocol';
import type { RoomAccess } from './access/room-access';
import type { TokenService } from './auth/tokens';
import type { ClientAddressOf } from './clients/client-address';
import type { ParleyConfig } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { JoinGate } from './rooms/join-gate';
import type { RoomAnnouncer } from './rooms/room-announcer';
import type { RoomCreation } from './rooms/room-creation';
import type { OutageLog } from './stores/outage-log';
import type { NodeReport, Stores } from './stores/types';
import type { WebhookEmitter } from './webhooks';

/** What every handler may use; built once per server in `server.ts`. */
export interface Services {
  config: ParleyConfig;
  stores: Stores;
  tokens: TokenService;
  /** The address a request comes from (behind a trusted proxy: the one it forwarded). */
  clientAddress: ClientAddressOf;
  log: Logger;
  /** Outgoing webhooks: `emit` only queues, so it is safe on any path a user waits for. */
  webhooks: WebhookEmitter;
  /** Coalesces `room:updated` broadcasts (a join storm must not cost joins × sockets frames). */
  roomAnnouncer: RoomAnnouncer;
  /** Where a join may create a room: within the creation budgets and the workspace's limit. */
  roomCreation: RoomCreation;
  /** Room joins this node works on at once; the rest wait their turn (join-gate.ts). */
  joinGate: JoinGate;
  /** Who may enter which room, as what (decide.ts, the stores, the join hook). */
  access: RoomAccess;
  /** Removals and role changes, applied to the user's sockets on every node. */
  membershipChanges: MembershipChanges;
  /** Counts failures to reach the store: a line when an outage starts and ends, not per call. */
  outage: OutageLog;
  /** What the server counts for Prometheus (metrics/): small functions, no prom-client. */
  metrics: Metrics;
  /** This node as it is now, as its heartbeat reports it (the operations overview). */
  nodeReport(): NodeReport;
  /** Keeps a piece of work until it settles, so shutdown can wait for what is in flight. */
  track(work: Promise<unknown>): void;
}

export interface MembershipChanges {
  /**
   * Applies a change to every socket of the user, on this node and (relayed, fire and forget)
   * on every other: a removal makes each of theirs in the room leave it, told why; a role change
   * is told to all of theirs in the workspace, and is what the joined ones' next send in a
   * read-only room is judged by.
   */
  apply(change: MembershipChange): void;
}
