import { CHAT_NAMESPACE_PATTERN, ErrorCode } from '@parley/protocol';
import { authenticateHandshake } from './auth/handshake';
import { memberHandlers } from './members/members.handlers';
import { messageHandlers } from './messages/messages.handlers';
import { presenceHandlers } from './presence/presence.handlers';
import { joinOnConnect, readJoinsOnConnect } from './rooms/joins-on-connect';
import { exitRoom } from './rooms/membership';
import { roomHandlers } from './rooms/rooms.handlers';
import type { Services } from './services';
import { handlerTable, registerHandlers } from './socket/define-handler';
import { oneHandshakeAtATime } from './socket/one-handshake';
import { createSession, sessionOf } from './socket/session';
import type { ParleyIo, ParleySocket } from './socket/types';
import { typingHandlers } from './typing/typing.handlers';

const handlers = handlerTable([
  ...roomHandlers,
  ...messageHandlers,
  ...typingHandlers,
  ...memberHandlers,
  ...presenceHandlers,
]);

/** Serves every workspace as the dynamic namespace `/chat/<workspace>`. */
export function attachChat(io: ParleyIo, services: Services): void {
  // The main namespace serves nothing: say where to go instead of accepting an idle socket.
  io.of('/').use((_socket, next) => {
    const error = Object.assign(new Error('connect to /chat/<workspace>'), {
      data: { code: ErrorCode.NotFound },
    });
    next(error);
  });

  const workspaces = io.of(CHAT_NAMESPACE_PATTERN);
  const counted = (code: 'ok' | ErrorCode) => services.metrics.handshake('workspace', code);
  workspaces.use(
    oneHandshakeAtATime(
      authenticateHandshake(services.tokens, counted, readJoinsOnConnect),
      counted,
    ),
  );
  workspaces.on('connection', (socket) => {
    const session = createSession(socket, services);
    registerHandlers(session, handlers);
    // The socket that tells the connection why, if the server has to close it.
    session.budget.speaker ??= socket;
    socket.on('disconnecting', onDisconnecting);
    joinOnConnect(session);
  });
}

/** Socket.IO's reason for sockets closed by `io.close()`. */
const SHUTDOWN_REASON = 'server shutting down';

/** One listener for every socket (not a closure each: memory per idle socket); `this`: the socket. */
function onDisconnecting(this: ParleySocket, reason: string): void {
  const session = sessionOf(this);
  if (!session) return;
  const { services } = session;
  if (session.budget.speaker === this) session.budget.speaker = undefined;
  // Checked first: the per-connection logger is made on first use, and most never log.
  if (services.log.isLevelEnabled('debug')) session.log.debug({ reason }, 'disconnecting');
  const rooms = [...session.joined.keys()];
  // A dropped connection (not a leave): a reload or a move to another node within the grace
  // is then no departure. Closed by this node's shutdown over shared stores, its presence is
  // taken out with every other connection's at once by the store's stop, which gives the users
  // the restart's grace (every client is reconnecting at once), ended by the sweeps: the node
  // does not wait. In memory, nothing outlives the node to end a grace, and its users leave
  // (webhooks say so) before it stops.
  const exit = {
    graceMs: services.config.presence.graceMs,
    byNodeStop: reason === SHUTDOWN_REASON && services.config.redis !== undefined,
  };
  const cleanup = Promise.allSettled(rooms.map((room) => exitRoom(session, room, exit))).then(
    (results) => {
      for (const result of results) {
        if (result.status === 'rejected' && !services.outage.failed('leave', result.reason)) {
          session.log.error({ err: result.reason }, 'presence cleanup failed');
        }
      }
    },
  );
  services.track(cleanup);
}
