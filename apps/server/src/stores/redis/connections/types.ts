import { createClient } from '@redis/client';
import type { Deadline } from '../deadline';
import { scripts } from './scripts';

/**
 * The command surface every store is written against: a node-redis client with Parley's scripts.
 * A Sentinel or Cluster client offers the same commands and scripts (routed by key), and is
 * handed to the stores as this type: their lifecycle differs, and that is kept in this folder.
 */
export type RedisClient = ReturnType<typeof commandClientShape>;
// Never called: it only names the client type with Parley's scripts.
const commandClientShape = () => createClient({ scripts });
/** The client subscriptions are made on (its own connection, renewed after every reconnect). */
export type SubscriberClient = ReturnType<typeof createClient>;

/** The connections of one node, whatever the topology (one server, Sentinel, Cluster). */
export interface RedisConnections {
  commands: RedisClient;
  /** The command client for the Socket.IO adapter to publish with: failures are logged. */
  publisher: RedisClient;
  subscriber: SubscriberClient;
  /**
   * True when commands sent one after another without waiting for their replies are carried out
   * by Redis in that order, whatever their keys: one connection to one master (standalone,
   * Sentinel). A cluster's commands of different slots go to different masters, in no set order.
   */
  inOrder?: boolean;
  /**
   * True when every key lives on one server (standalone, Sentinel), so one script may touch keys
   * of any hash slot; a cluster's scripts touch one slot's keys only.
   */
  oneServer?: boolean;
  /** The subscriber for the Socket.IO adapter: failures are logged, never unhandled. */
  adapterSubscriber: SubscriberClient;
  /** Resolves once connected (the clients retry until Redis answers). */
  open(): Promise<void>;
  /** Connected, and Redis (every master of a cluster) answers a PING in time. */
  ready(): Promise<boolean>;
  /** How long the connections have been up without a break; 0 while down. */
  connectedForMs(): number;
  /** Calls `listener` every time the connections come up: at first and after a break. */
  onReady(listener: () => void): void;
  /**
   * The deadline every store call is held to (REDIS_COMMAND_TIMEOUT_MS). Standalone, a missed one
   * makes the connections check that Redis still answers, and reconnect when it does not.
   */
  deadline: Deadline;
  /**
   * WAIT on the connection that carried the last write to `key`: how many replicas have every
   * write made on it so far, once `replicas` have or `timeoutMs` passed.
   */
  waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<number>;
  /** One client per master, for what must visit every key (SCAN, in the repair). */
  primaries(): Promise<RedisClient[]>;
  close(): Promise<void>;
}

/** Retry soon and often: cross-node delivery must resume within seconds of Redis returning. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** retries, 1000);
}
