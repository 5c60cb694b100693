import { type CloseReason, type ErrorBody, ErrorCode } from '@parley/protocol';

/**
 * The connection to one workspace as a pure state machine: `connectionStep(state, event)` answers
 * the next state and what to do about it (effects, as data). The socket driver (client.ts) turns
 * the socket's and the browser's events into these events and carries the effects out.
 */

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** Why the server refuses the connection: the token (`unauthorized`) or the workspace. */
export type ConnectionRefusal = typeof ErrorCode.Unauthorized | typeof ErrorCode.Forbidden;

export interface ConnectionState {
  status: ConnectionStatus;
  /** Set while offline because the server refused: nothing retries until the app acts. */
  refused: ConnectionRefusal | null;
  /** The last error the connection met (a refusal, a failed renewal, an unreachable server). */
  error: ErrorBody | null;
  /** Why the server closed the connection last (it says so first), until the next connection. */
  closedBecause: CloseReason | null;
  /** A new token is being fetched after the server refused the current one. */
  renewing: boolean;
  /** The token was renewed since the last connection: a second `unauthorized` is final. */
  renewed: boolean;
  /** The app closed the connection (`disconnect()`): nothing reconnects until `connect()`. */
  closed: boolean;
  /** Connections made so far: more than one means reconnections. */
  connections: number;
  /**
   * Attempts in a row that got no handshake within their connect timeout, since the last
   * connection: each gives the next attempt longer (`connectTimeout`).
   */
  timedOut: number;
}

export type ConnectionEvent =
  /** The app opens the connection (at first, or after `disconnect()`). */
  | { type: 'open' }
  /** The app closes it. */
  | { type: 'close' }
  | { type: 'connected' }
  /** Socket.IO's `disconnect`, with its reason (`io server disconnect`, `transport close`…). */
  | { type: 'disconnected'; reason: string }
  /**
   * Socket.IO's `connect_error`: `error` is the server's refusal (its `data.code`) or, without
   * one, the transport's failure; `active`: whether Socket.IO retries by itself; `timedOut`: the
   * attempt got no handshake within its connect timeout (socket.io-client's `timeout` error).
   */
  | {
      type: 'connectError';
      error: ErrorBody;
      refusedByServer: boolean;
      active: boolean;
      timedOut?: boolean;
    }
  | { type: 'renewed' }
  | { type: 'renewFailed'; error: ErrorBody | null }
  /** `server:shutdown`: the node goes away; the client comes back to another. */
  | { type: 'server:shutdown' }
  /** `connection:closing`: the server closes this connection next, and says why. */
  | { type: 'connection:closing'; reason: CloseReason }
  /** The browser's `online` event, with whether the socket is connected anyway. */
  | { type: 'online'; connected: boolean }
  /** The browser's `offline` event. */
  | { type: 'offline' };

/**
 * - `renew`: get a new token from the session source, then answer `renewed` or `renewFailed`.
 * - `connect`: connect the socket (Socket.IO would not by itself).
 * - `reconnectNow`: connect now, dropping a pending retry timer (the network is back).
 * - `retryLater`: connect after a randomised backoff (a refusal Socket.IO does not retry).
 */
export type ConnectionEffect = 'renew' | 'connect' | 'reconnectNow' | 'retryLater';

export interface ConnectionStep {
  state: ConnectionState;
  effects: ConnectionEffect[];
}

export function initialConnection(): ConnectionState {
  return {
    status: 'connecting',
    refused: null,
    error: null,
    closedBecause: null,
    renewing: false,
    renewed: false,
    closed: false,
    connections: 0,
    timedOut: 0,
  };
}

/** Server refusals that retrying later may get past (its store or identity provider was down). */
const TRANSIENT: ReadonlySet<string> = new Set([
  ErrorCode.Unavailable,
  ErrorCode.Internal,
  ErrorCode.RateLimited,
]);

export function connectionStep(state: ConnectionState, event: ConnectionEvent): ConnectionStep {
  const stay = { state, effects: [] };
  const go = (
    change: Partial<ConnectionState>,
    ...effects: ConnectionEffect[]
  ): ConnectionStep => ({
    state: { ...state, ...change },
    effects,
  });
  /** Trying again: `connecting` before the first connection, `reconnecting` after. */
  const trying = (): ConnectionStatus => (state.connections > 0 ? 'reconnecting' : 'connecting');

  switch (event.type) {
    case 'open':
      // Connected already, or a renewal under way connects when it has the token.
      if ((state.status === 'connected' || state.renewing) && !state.closed) return stay;
      return go(
        {
          status: trying(),
          refused: null,
          error: null,
          closed: false,
          renewing: false,
          renewed: false,
        },
        'connect',
      );
    case 'close':
      return go({ status: 'offline', closed: true, renewing: false });
    case 'connected':
      return go({
        status: 'connected',
        refused: null,
        error: null,
        closedBecause: null,
        renewing: false,
        renewed: false,
        closed: false,
        connections: state.connections + 1,
        timedOut: 0,
      });
    case 'disconnected':
      if (event.reason === 'io client disconnect') return go({ status: 'offline' });
      if (state.closed || state.refused) return stay;
      // The server only disconnects on purpose when it wants the client elsewhere: come back.
      if (event.reason === 'io server disconnect') return go({ status: 'reconnecting' }, 'connect');
      return go({ status: 'reconnecting' });
    case 'connectError': {
      // Nothing tries to connect while closed or refused: a late error changes nothing.
      if (state.closed || state.refused) return stay;
      const { error } = event;
      if (!event.refusedByServer) {
        // The server could not be reached: Socket.IO retries with its backoff.
        const timedOut = event.timedOut ? state.timedOut + 1 : state.timedOut;
        return go({ status: event.active ? trying() : 'offline', error, timedOut });
      }
      if (error.code === ErrorCode.Unauthorized) {
        if (state.renewing) return stay;
        if (state.renewed) return go({ status: 'offline', refused: ErrorCode.Unauthorized, error });
        return go({ status: trying(), renewing: true, error }, 'renew');
      }
      if (error.code === ErrorCode.Forbidden) {
        return go({ status: 'offline', refused: ErrorCode.Forbidden, error });
      }
      if (event.active) return go({ status: trying(), error });
      if (TRANSIENT.has(error.code)) return go({ status: trying(), error }, 'retryLater');
      // `not_found` (no such workspace) and the like: retrying would not help.
      return go({ status: 'offline', error });
    }
    // A renewal nobody waits for any more (the app closed or reopened meanwhile) changes
    // nothing: the next connection asks the session for its token anyway.
    case 'renewed':
      if (!state.renewing) return stay;
      return go({ renewing: false, renewed: true, status: trying() }, 'connect');
    case 'renewFailed':
      if (!state.renewing) return stay;
      return go({
        status: 'offline',
        renewing: false,
        refused: ErrorCode.Unauthorized,
        error: event.error ?? state.error,
      });
    case 'server:shutdown':
      return state.status === 'connected' ? go({ status: 'reconnecting' }) : stay;
    case 'connection:closing':
      if (state.closed || state.refused) return stay;
      return go({ status: 'reconnecting', closedBecause: event.reason });
    case 'online':
      if (state.closed || state.refused || state.renewing) return stay;
      if (event.connected) return state.status === 'connected' ? stay : go({ status: 'connected' });
      return go({ status: trying() }, 'reconnectNow');
    case 'offline':
      if (state.closed || state.refused || state.status === 'offline') return stay;
      return go({ status: 'offline' });
  }
}

/**
 * The delay before the `attempt`th retry (0-based) of a refusal Socket.IO does not retry:
 * doubling from `minMs` up to `maxMs`, spread by ±`randomization` so that many clients refused
 * at once do not all come back at once. `random` is `Math.random` unless a test fixes it.
 */
export function retryDelay(
  attempt: number,
  { minMs = 1000, maxMs = 5000, randomization = 0.5, random = Math.random } = {},
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  const spread = base * randomization * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, base + spread)));
}

/** socket.io-client's default `timeout`: an attempt with no handshake by then has failed. */
export const CONNECT_TIMEOUT_MS = 20_000;
/** The longest `connectTimeout` makes an attempt wait, unless the app says otherwise. */
export const CONNECT_TIMEOUT_MAX_MS = 60_000;

/**
 * How long the next connection attempt may wait for the server's handshake, after `timedOut`
 * attempts in a row got none in time: the first `baseMs` (socket.io-client's `timeout`), then
 * twice as long after each, up to `maxMs`. A node restarted under a reconnect storm answers the
 * connections it accepted in about the order they came, so the last of them can wait past 20 s
 * for an answer that is coming: giving up puts that client back at the end of the queue and
 * makes the node do the work twice (the storm's slow runs in docs/benchmarks.md). Waiting longer
 * each time, as TCP does for its own retransmissions, lets a busy server catch up.
 */
export function connectTimeout(
  timedOut: number,
  { baseMs = CONNECT_TIMEOUT_MS, maxMs = CONNECT_TIMEOUT_MAX_MS } = {},
): number {
  return Math.max(baseMs, Math.min(maxMs, baseMs * 2 ** Math.min(timedOut, 20)));
}
