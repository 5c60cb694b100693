import type { ClientEvent, PayloadInputOf } from '@parley/protocol';
import type { ChurnPlan } from './churn';
import type { ClientSpec } from './raw-socketio';
import type { StormClientSpec } from './storm';

/** What the harness asks a load-generator process to do, over IPC; each answered by `id`. */
export type WorkerCommand =
  | { type: 'connect'; id: number; clients: ClientSpec[]; concurrency: number; timeoutMs: number }
  | { type: 'rate'; id: number; perSenderPerSecond: number; window: number }
  | { type: 'create-rooms'; id: number; names: string[]; window: number; timeoutMs: number }
  | {
      type: 'list-rate';
      id: number;
      perLobbyPerSecond: number;
      window: number;
      queries: ListQuery[];
    }
  | { type: 'churn'; id: number; plan: ChurnPlan | null }
  | { type: 'stats'; id: number; resetLatency: boolean }
  | {
      type: 'storm-connect';
      id: number;
      clients: StormClientSpec[];
      concurrency: number;
      timeoutMs: number;
    }
  | {
      type: 'storm-seed';
      id: number;
      url: string;
      workspace: string;
      rooms: string[];
      perRoom: number;
      timeoutMs: number;
    }
  | { type: 'storm-arm'; id: number }
  | { type: 'storm-report'; id: number; withTimes: boolean }
  | { type: 'close'; id: number };

/** One `room:list` a lobby asks; its latency and answer size are kept by `kind`. */
export interface ListQuery {
  kind: string;
  payload: PayloadInputOf<typeof ClientEvent.RoomList>;
}

export interface ConnectReport {
  connected: number;
  failed: number;
  /** A few of the failures, to say why. */
  errors: string[];
  /** Connect + namespace handshake + room join, per client, as an encoded histogram. */
  durations: string;
  elapsedMs: number;
}

export interface CreateRoomsReport {
  /** Rooms joined (so created: every name is new) and left again. */
  created: number;
  /** Joins or leaves refused, or unanswered in time. */
  failed: number;
  errors: string[];
  elapsedMs: number;
}

/** One kind of `room:list` query: counters since the worker started, latency since the last reset. */
export interface ListKindReport {
  kind: string;
  answered: number;
  failed: number;
  /** Due while the lobby had `window` lists unanswered: the server was behind. */
  skipped: number;
  /** Bytes of the answered acknowledgement frames (the Socket.IO packet, as sent). */
  bytes: number;
  latency: string;
}

/** Presence churn (clients/churn.ts): counters since the worker started. */
export interface ChurnReport {
  /** Churn clients begun (token, connect, join). */
  started: number;
  /** Joined the room. */
  joined: number;
  /** Did not get in (refused, closed, or no answer in time). */
  failed: number;
  /** Left the room again (room:leave or a disconnect), after their time in it. */
  left: number;
  errors: string[];
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
  /** Delivery latency since the last reset, encoded. */
  latency: string;
  /** `message:send` acknowledgement latency of `probeAcks` clients since the last reset, encoded. */
  ackLatency: string;
  lists: ListKindReport[];
  /** Event packets received by clients with `countEvents`, by name. */
  events: Record<string, number>;
  churn: ChurnReport;
}

/** Reconnect storm (clients/storm.ts): the first connect and join of the storm clients. */
export interface StormConnectReport {
  connected: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
}

/** The harness's room messages: the newest seq of each room once sent. */
export interface StormSeedReport {
  seqs: Record<string, number>;
  sent: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** The server joins rooms in the handshake (`auth.join`): its clients re-join that way. */
  joinsOnConnect: boolean;
}

/** One storm client in the current storm: epoch ms, 0 for not yet. */
export interface StormClientTimes {
  lostAt: number;
  /** Connected to the namespace again (token accepted). */
  reconnectedAt: number;
  /** `room:join` answered ok. */
  rejoinedAt: number;
  /** The seq up to which it has every message, and when it got there. */
  seq: number;
  seqAt: number;
}

/** Storm clients of one process since the storm was armed. */
export interface StormReport {
  clients: number;
  /** Connected and joined now. */
  up: number;
  reconnected: number;
  rejoined: number;
  /** The lowest unbroken seq among the room's clients here, by room. */
  lowestSeqByRoom: Record<string, number>;
  /** Connection attempts (a new WebSocket, or the namespace asked again after a refusal). */
  attempts: number;
  /** Attempts that failed before the server answered (ECONNREFUSED, resets), by code. */
  connectErrors: Record<string, number>;
  /** `connect_error` from the server, by its code. */
  refusals: Record<string, number>;
  /** `room:join` answered with an error (or not within the ack timeout: `no_answer`), by code. */
  joinFailures: Record<string, number>;
  /** Clients that stopped trying, as the client library would (a final refusal, retries used up). */
  joinsGivenUp: number;
  /** Re-joins with `since` answered `recovered: true`, and not. */
  recovered: number;
  notRecovered: number;
  /** Entries the recovered re-joins carried. */
  messagesRecovered: number;
  /** Re-joins whose answer left the member list out (`membersUnchanged`). */
  listsLeftOut: number;
  /** Bytes of the frames that answered re-joins. */
  joinAnswerBytes: number;
  /** Event packets received, by name. */
  events: Record<string, number>;
  times?: (StormClientTimes & { room: string })[];
}

export type WorkerReply =
  | { type: 'connect'; id: number; report: ConnectReport }
  | { type: 'create-rooms'; id: number; report: CreateRoomsReport }
  | { type: 'stats'; id: number; report: StatsReport }
  | { type: 'storm-connect'; id: number; report: StormConnectReport }
  | { type: 'storm-seed'; id: number; report: StormSeedReport }
  | { type: 'storm-report'; id: number; report: StormReport }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };
