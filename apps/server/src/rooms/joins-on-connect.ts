import {
  ClientEvent,
  ErrorCode,
  HandshakeAuth,
  type PayloadOf,
  ServerEvent,
} from '@parley/protocol';
import type { ExtendedError } from 'socket.io';
import { refusal } from '../auth/handshake';
import { answerFromHandshake } from '../socket/define-handler';
import type { ChatSession } from '../socket/session';
import type { ParleySocket } from '../socket/types';

type JoinPayload = PayloadOf<typeof ClientEvent.RoomJoin>;

/** The rooms each socket's handshake asked to join, from its check until it is connected. */
const asked = new WeakMap<ParleySocket, JoinPayload[]>();

/**
 * Reads the handshake's `join` (once its token is good): a list that does not match the
 * protocol's schema refuses the connection with `invalid_payload`, as a bad event payload is
 * answered, before anything is joined.
 */
export function readJoinsOnConnect(socket: ParleySocket): ExtendedError | undefined {
  const join = (socket.handshake.auth as { join?: unknown } | undefined)?.join;
  if (join === undefined) return undefined;
  const parsed = HandshakeAuth.shape.join.safeParse(join);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      ({ path, message }) =>
        `auth.join${path.map((key) => `.${String(key)}`).join('')}: ${message}`,
    );
    return refusal(ErrorCode.InvalidPayload, problems.join('; '));
  }
  if (parsed.data && parsed.data.length > 0) asked.set(socket, parsed.data);
  return undefined;
}

/**
 * Joins the rooms the connection's handshake asked for, each as its `room:join` would be (the
 * flood guard, the join gate, access, presence, the catch-up from `since`), and answers each in a
 * `rooms:joined` as soon as it is joined: a slow room holds up no other, and no answer is bigger
 * than one room's. What a reconnecting client does first anyway, without a round trip per room.
 */
export function joinOnConnect(session: ChatSession): void {
  const { socket } = session;
  const rooms = asked.get(socket);
  if (!rooms) return;
  asked.delete(socket);
  for (const payload of rooms) {
    const done = answerFromHandshake(session, ClientEvent.RoomJoin, payload).then((result) => {
      if (socket.connected) {
        socket.emit(ServerEvent.RoomsJoined, { answers: [{ room: payload.room, result }] });
      }
    });
    session.services.track(done);
  }
}
