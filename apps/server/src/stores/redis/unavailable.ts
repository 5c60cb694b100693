import {
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';
import { StoreUnavailableError } from '../errors';
import type { CallWatch, Deadline } from './deadline';

const CONNECTION_ERRORS = [
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
];

/** Replies Redis gives while it cannot serve yet (starting, failing over, busy). */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN)\b/;

/** Socket errors Node raises when the connection drops under a command. */
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Whether an error means "Redis cannot be reached right now" rather than a bug. */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof ErrorReply) return TRANSIENT_REPLY.test(error.message);
  if (CONNECTION_ERRORS.some((type) => error instanceof type)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_CODES.has(code);
}

/**
 * The same store, with every call held to the deadline and every failure to reach Redis (a
 * rejected promise, or no answer in time) turned into one `StoreUnavailableError`, so handlers
 * answer `unavailable` without knowing which store or client is behind them.
 */
export function reportingUnavailable<T extends object>(
  name: string,
  store: T,
  deadline: Deadline,
  /** Told how long each call took (answered or failed), for the metrics. */
  timed?: (store: string, seconds: number) => void,
): T {
  const wrapped: Record<string, unknown> = {};
  // One watch per method, made once: a call adds no promise or closure to the deadline's own.
  const took = timed && ((seconds: number) => timed(name, seconds));
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      wrapped[key] = value;
      continue;
    }
    const what = `${name}.${key}`;
    const watch: CallWatch = {
      failure: (error) =>
        error instanceof StoreUnavailableError || !isUnreachable(error)
          ? error
          : new StoreUnavailableError(`${what}: Redis is unreachable`, { cause: error }),
      took,
    };
    wrapped[key] = (...args: unknown[]) => {
      const result: unknown = value.apply(store, args);
      return result instanceof Promise ? deadline.within(result, what, watch) : result;
    };
  }
  return wrapped as T;
}
