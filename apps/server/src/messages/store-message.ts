import { ErrorCode, type Member, type MessageChange } from '@parley/protocol';
import { ParleyError } from '../errors';
import type { Services } from '../services';
import type {
  Amended,
  AppendOptions,
  AppendResult,
  MessageDraft,
  RoomRef,
  Stored,
} from '../stores/types';

/**
 * Stores a message, whoever sent it (a socket or the server API). Every node delivers it to its
 * own sockets when the store announces it (see delivery.ts); what else must follow a new
 * message belongs here, so both paths get it.
 *
 * With `rates`, the author's bucket for the room (and the room's own) is taken in the same store
 * call (one Redis round trip), and a send out of tokens is answered `RateLimited`; without it
 * nothing is refused (the server API limits its keys itself). A read-only room refuses authors
 * who may not post there, unless `mayPostReadOnly`.
 */
export function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
  options?: { mayPostReadOnly: true },
): Promise<Stored>;
export function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
  options: AppendOptions,
): Promise<AppendResult>;
export async function storeMessage(
  services: Services,
  ref: RoomRef,
  draft: MessageDraft,
  options: AppendOptions = { mayPostReadOnly: true },
): Promise<AppendResult> {
  const result = await services.stores.history.append(ref, draft, options);
  // Only the node that stored it announces it, so a cluster sends one event; a resend that
  // answered the original (created: false) was announced the first time.
  if ('created' in result && result.created) {
    services.metrics.messageStored();
    services.webhooks.emit('message.created', ref.workspace, {
      room: ref.room,
      message: result.message,
    });
  }
  return result;
}

/** Who changes a message, and what they may do to others' messages. */
export interface Editor {
  member: Member;
  /** A moderator, an owner (or the server API): may delete anyone's message. */
  moderates: boolean;
  origin?: string;
}

/**
 * Edits (its author only) or deletes (its author, or a moderator) the message at `seq` whose id
 * is `id`. Repeating an edit or a deletion changes nothing more and answers the message as it
 * is. Everyone hears of it from the store's feed, as a change entry; webhooks follow here.
 */
export async function changeMessage(
  services: Services,
  ref: RoomRef,
  target: { seq: number; id: string },
  editor: Editor,
  action: MessageChange['action'],
  text?: string,
): Promise<Amended> {
  const amended = await services.stores.history.amend(
    ref,
    target.seq,
    (current) => {
      if (current.id !== target.id) throw notFound(target.seq);
      const own = current.author.id === editor.member.id;
      if (action === 'edit') {
        if (!own) {
          throw new ParleyError(ErrorCode.Forbidden, 'only its author edits a message', {
            reason: 'not_author',
          });
        }
        if (current.deleted) throw new ParleyError(ErrorCode.NotFound, 'the message was deleted');
        if (current.text === text) return undefined;
        return { ...current, text: text ?? current.text, editedAt: new Date().toISOString() };
      }
      if (!own && !editor.moderates) {
        throw new ParleyError(ErrorCode.Forbidden, "only moderators delete others' messages", {
          reason: 'role',
        });
      }
      if (current.deleted) return undefined;
      const { editedAt: _editedAt, ...rest } = current;
      return { ...rest, text: '', deleted: true };
    },
    { action, by: editor.member, origin: editor.origin },
  );
  if (!amended) throw notFound(target.seq);
  if (amended.change) {
    services.webhooks.emit(
      action === 'edit' ? 'message.updated' : 'message.deleted',
      ref.workspace,
      { room: ref.room, message: amended.message, by: editor.member },
    );
  }
  return amended;
}

function notFound(seq: number): ParleyError {
  return new ParleyError(ErrorCode.NotFound, `no such message at seq ${seq} (or past retention)`);
}
