import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ErrorCode } from './errors';
import type {
  AckOf,
  ClientEventName,
  ClientToServerEvents,
  PayloadInputOf,
  ServerToClientEvents,
} from './events';
import { chatNamespace } from './names';
import { fail } from './result';

/** A socket connected to one workspace, typed by the protocol in both directions. */
export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ChatClientOptions extends Partial<ManagerOptions & SocketOptions> {
  /** The server's base URL, e.g. `http://localhost:3001`. */
  url: string;
  workspace: string;
  /** A Parley token; a function is called on every (re)connection, so a renewed token is used. */
  token: string | (() => string | Promise<string>);
  /**
   * Rooms to join as part of each (re)connection (the handshake's `join`), asked when the
   * connection is made: the answers come in one `rooms:joined` event. Empty: none.
   */
  join?: () => PayloadInputOf<'room:join'>[];
}

/** Opens (unless `autoConnect: false`) a typed socket to `/chat/<workspace>`. */
export function createChatClient({
  url,
  workspace,
  token,
  join,
  ...options
}: ChatClientOptions): ChatSocket {
  const base = url.replace(/\/+$/, '');
  // Socket.IO asks for `auth` before each handshake; a token that comes after a newer attempt
  // asked again is dropped (the newer one sends its own), or it would open a second socket.
  let attempts = 0;
  return io(`${base}${chatNamespace(workspace)}`, {
    ...options,
    auth: (send) => {
      const attempt = ++attempts;
      Promise.resolve(typeof token === 'function' ? token() : token).then(
        (value) => {
          if (attempt !== attempts) return;
          // Read once the token is there, just before the handshake leaves.
          const rooms = join?.() ?? [];
          send(rooms.length > 0 ? { token: value, join: rooms } : { token: value });
        },
        () => {
          if (attempt === attempts) send({});
        },
      );
    },
  });
}

/** Default time to wait for an acknowledgement before answering `unavailable`. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/**
 * Emits a client event and resolves with its `Result`. A missing answer (disconnected, node
 * gone) resolves as `unavailable` instead of rejecting, so callers handle one shape.
 */
export async function request<E extends ClientEventName>(
  socket: ChatSocket,
  event: E,
  payload: PayloadInputOf<E>,
  timeoutMs = DEFAULT_ACK_TIMEOUT_MS,
): Promise<AckOf<E>> {
  // Socket.IO's typed emit cannot follow a generic event name; the protocol's map guarantees
  // that `payload` and the answer belong to `event`.
  const emitter = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(event: E, payload: PayloadInputOf<E>): Promise<AckOf<E>>;
  };
  try {
    return await emitter.emitWithAck(event, payload);
  } catch {
    return fail(ErrorCode.Unavailable, `no answer to ${event} within ${timeoutMs} ms`) as AckOf<E>;
  }
}

/**
 * Waits before each resend of a `message:send` answered `unavailable` (or not answered): the
 * outcome of such a send is unknown, and resending with the same `clientMsgId` is always safe —
 * it stores the message if it was not, and answers the original if it was.
 */
export const RESEND_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;

/**
 * `message:send`, resent with the same `clientMsgId` while the answer is `unavailable` (a store
 * that did not answer, no answer in time, a node that went away), after each of `delaysMs`; a
 * resend waits for the socket to be connected again. Resolves with the first other answer, or the
 * last `unavailable` once the delays are used up. Never a duplicate, never a silent loss.
 */
export async function sendMessage(
  socket: ChatSocket,
  payload: PayloadInputOf<'message:send'>,
  {
    timeoutMs = DEFAULT_ACK_TIMEOUT_MS,
    delaysMs = RESEND_DELAYS_MS,
  }: { timeoutMs?: number; delaysMs?: readonly number[] } = {},
): Promise<AckOf<'message:send'>> {
  let result = await request(socket, 'message:send', payload, timeoutMs);
  for (const delayMs of delaysMs) {
    if (result.ok || result.error.code !== ErrorCode.Unavailable) return result;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!socket.connected) await connectedAgain(socket, timeoutMs);
    result = await request(socket, 'message:send', payload, timeoutMs);
  }
  return result;
}

/** Resolves when the socket connects, or after `timeoutMs` (the next request then fails fast). */
function connectedAgain(socket: ChatSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('connect', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', done);
  });
}
