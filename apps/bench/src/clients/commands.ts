import type { ClientSpec } from './raw-socketio';

/** What the harness asks a load-generator process to do, over IPC; each answered by `id`. */
export type WorkerCommand =
  | { type: 'connect'; id: number; clients: ClientSpec[]; concurrency: number; timeoutMs: number }
  | { type: 'rate'; id: number; perSenderPerSecond: number; window: number }
  | { type: 'stats'; id: number; resetLatency: boolean }
  | { type: 'close'; id: number };

export interface ConnectReport {
  connected: number;
  failed: number;
  /** A few of the failures, to say why. */
  errors: string[];
  /** Connect + namespace handshake + room join, per client, as an encoded histogram. */
  durations: string;
  elapsedMs: number;
}

export interface StatsReport {
  delivered: number;
  sent: number;
  acked: number;
  rejected: number;
  /** Sends due that the window did not allow: the server was behind. */
  skipped: number;
  disconnects: number;
  probedBytes: number;
  probedFrames: number;
  /** Latency since the last reset, encoded. */
  latency: string;
}

export type WorkerReply =
  | { type: 'connect'; id: number; report: ConnectReport }
  | { type: 'stats'; id: number; report: StatsReport }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };
