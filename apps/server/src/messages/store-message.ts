import type { Services } from '../services';
import type { MessageDraft, RoomRef } from '../stores/types';

/**
 * Stores a message, whoever sent it (a socket or the server API). Every node delivers it to its
 * own sockets when the store announces it (see delivery.ts); what else must follow a new
 * message belongs here, so both paths get it.
 */
export async function storeMessage(services: Services, ref: RoomRef, draft: MessageDraft) {
  const stored = await services.stores.history.append(ref, draft);
  // Only the node that stored it announces it, so a cluster sends one event; a resend that
  // answered the original (created: false) was announced the first time.
  if (stored.created) {
    services.webhooks.emit('message.created', ref.workspace, {
      room: ref.room,
      message: stored.message,
    });
  }
  return stored;
}
