import type { Services } from '../services';
import type { AppendResult, MessageDraft, RoomRef, SendRates, Stored } from '../stores/types';

/**
 * Stores a message, whoever sent it (a socket or the server API). Every node delivers it to its
 * own sockets when the store announces it (see delivery.ts); what else must follow a new
 * message belongs here, so both paths get it.
 *
 * With `rates`, the author's bucket for the room (and the room's own) is taken in the same store
 * call (one Redis round trip), and a send out of tokens is answered `RateLimited`; without it
 * nothing is refused (the server API limits its keys itself).
 */
export function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
): Promise<Stored>;
export function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
  rates: SendRates,
): Promise<AppendResult>;
export async function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
  rates?: SendRates,
): Promise<AppendResult> {
  const result = await services.stores.history.append(ref, draft, { rates });
  // Only the node that stored it announces it, so a cluster sends one event; a resend that
  // answered the original (created: false) was announced the first time.
  if (!('rateLimited' in result) && result.created) {
    services.webhooks.emit('message.created', ref.workspace, {
      room: ref.room,
      message: result.message,
    });
  }
  return result;
}
