import { randomBytes } from 'node:crypto';

/**
 * How the primary keeps one engine.io session on one worker without keeping a table of
 * sessions: each worker makes its session ids start with its cluster worker id
 * (`7.Qk3…`), and the primary reads the `sid` of the first request line of every connection.
 * A session id names its worker from the moment it exists, so no message has to reach the
 * primary before the client's next request does.
 */

/** A request line longer than this is not engine.io's; it is routed as one without a session. */
export const REQUEST_LINE_MAX_BYTES = 8192;

/** A new session id for worker `workerId`: its id, a dot, 15 random bytes (as engine.io's). */
export function sessionIdFor(workerId: number): string {
  return `${workerId}.${randomBytes(15).toString('base64url')}`;
}

/** The worker id a session id names, or undefined for an id no worker made. */
export function workerOfSessionId(sessionId: string): number | undefined {
  const match = /^(\d{1,9})\./.exec(sessionId);
  return match ? Number(match[1]) : undefined;
}

export type FirstRequest =
  /** More bytes are needed to see the whole request line. */
  | { kind: 'incomplete' }
  /** The request line is there: the worker its session id names, if any. */
  | { kind: 'complete'; workerId: number | undefined };

/**
 * Reads the first bytes a connection sent: `GET /socket.io/?EIO=4&transport=polling&sid=… HTTP/1.1`.
 * Only the request line counts: a connection carries its first request's session (a keep-alive
 * connection's later requests are a worker's business: workers answer `Connection: close`).
 */
export function readFirstRequest(head: Buffer): FirstRequest {
  const end = head.indexOf('\r\n');
  if (end === -1 && head.length < REQUEST_LINE_MAX_BYTES) return { kind: 'incomplete' };
  const line = head.subarray(0, end === -1 ? head.length : end).toString('latin1');
  const target = line.split(' ')[1] ?? '';
  const query = target.indexOf('?');
  if (query === -1) return { kind: 'complete', workerId: undefined };
  const sessionId = new URLSearchParams(target.slice(query + 1)).get('sid');
  return {
    kind: 'complete',
    workerId: sessionId === null ? undefined : workerOfSessionId(sessionId),
  };
}
