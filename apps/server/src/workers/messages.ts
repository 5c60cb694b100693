/**
 * What the primary and its workers tell each other over the cluster's IPC channel. Each side
 * ignores what is not one of these (node:cluster has messages of its own on the same channel).
 */

/** Primary → worker: a connection to serve (the socket travels as the message's handle). */
export interface ConnectionMessage {
  type: 'parley:connection';
  /** What the primary read of it to route it, base64: the worker serves it as if it read it. */
  head: string;
}

/** Primary → worker: shut down gracefully (drain, grace, close) and exit. */
export interface ShutdownMessage {
  type: 'parley:shutdown';
}

/** Worker → primary: stores open, ready for connections. */
export interface ReadyMessage {
  type: 'parley:ready';
}

export type PrimaryMessage = ConnectionMessage | ShutdownMessage;
export type WorkerMessage = ReadyMessage;

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'parley:connection' || type === 'parley:shutdown';
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return (message as { type?: unknown } | null)?.type === 'parley:ready';
}
