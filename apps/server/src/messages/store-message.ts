import type { Services } from '../services';
import type { MessageDraft, RoomRef } from '../stores/types';

/**
 * Stores a message, whoever sent it (a socket or the server API). Every node delivers it to its
 * own sockets when the store announces it (see delivery.ts); what else must follow a new
 * message belongs here, so both paths get it.
 */
export async function storeMessage(services: Services, ref: RoomRef, draft: MessageDraft) {
  return services.stores.history.append(ref, draft);
}
