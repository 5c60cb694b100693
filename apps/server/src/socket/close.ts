import { type CloseReason, ServerEvent } from '@parley/protocol';
import type { ParleySocket } from './types';

/**
 * Closes a client's connection on purpose, saying why first: the reason is queued ahead of the
 * disconnect, so a client sees it before its `disconnect` event. Every namespace on the same
 * connection goes with it.
 */
export function closeConnection(socket: ParleySocket, reason: CloseReason, message: string): void {
  if (!socket.connected) return;
  socket.emit(ServerEvent.ConnectionClosing, { reason, message });
  socket.disconnect(true);
}
