import { type AckOf, type ErrorBody, ErrorCode } from '@parley/protocol';
import { type ChatMessage, mergeStored } from './timeline';

/**
 * This client's own messages until the server has stored them: pure changes to a room's list,
 * where they stay after the stored entries. A local message is `pending` (on its way, or waiting
 * for the room to be joined again), then stored (`sent`, with its `seq`), or `failed` with the
 * server's error as data. A resend always carries the same `clientMsgId`, so the server stores
 * it once whatever happened to an earlier try.
 */

/** Adds a message just written, pending. */
export function queued(list: readonly ChatMessage[], message: ChatMessage): readonly ChatMessage[] {
  return [...list, message];
}

/** A failed message sent again (the same `clientMsgId`): pending once more. */
export function resending(list: readonly ChatMessage[], key: string): readonly ChatMessage[] {
  return updateLocal(list, key, (message) =>
    message.delivery === 'failed' ? { ...withoutError(message), delivery: 'pending' } : message,
  );
}

/**
 * What a failed `message:send` leaves the message as. `unavailable` means the outcome is
 * unknown: with the connection gone it stays pending and is resent (same `clientMsgId`) once
 * the room is joined again; still connected, the client has already resent it a few times, so
 * it fails and waits for the person. `not_joined` means the room must be joined again first: it
 * stays pending for that. Anything else is an answer and fails the message.
 */
export function failureDelivery(error: ErrorBody, connected: boolean): 'pending' | 'failed' {
  if (error.code === ErrorCode.NotJoined) return 'pending';
  if (error.code === ErrorCode.Unavailable && !connected) return 'pending';
  return 'failed';
}

/** The answer to a `message:send`: the stored message replaces the local one, or it fails. */
export function acknowledged(
  list: readonly ChatMessage[],
  key: string,
  result: AckOf<'message:send'>,
  connected: boolean,
): readonly ChatMessage[] {
  if (result.ok) {
    const local = list.find((message) => message.key === key && message.seq === undefined);
    const merged = mergeStored(local ? list.filter((message) => message !== local) : list, [
      result.message,
    ]);
    // Whatever key the stored copy got, the element people see keeps the local one.
    if (!local) return merged;
    return merged.map((message) =>
      message.seq === result.message.seq && !message.hidden && message.key !== local.key
        ? { ...message, key: local.key }
        : message,
    );
  }
  const delivery = failureDelivery(result.error, connected);
  return updateLocal(list, key, (message) =>
    delivery === 'pending'
      ? message.delivery === 'pending' && !message.error
        ? message
        : { ...withoutError(message), delivery }
      : { ...message, delivery, error: result.error },
  );
}

/** Local messages to send now that the room is joined (again): every pending one. */
export function toResend(list: readonly ChatMessage[]): ChatMessage[] {
  return list.filter((message) => message.seq === undefined && message.delivery === 'pending');
}

/** The local message with `key`, while it has no `seq`. */
export function localByKey(list: readonly ChatMessage[], key: string): ChatMessage | undefined {
  return list.find((message) => message.key === key && message.seq === undefined);
}

function updateLocal(
  list: readonly ChatMessage[],
  key: string,
  change: (message: ChatMessage) => ChatMessage,
): readonly ChatMessage[] {
  const index = list.findIndex((message) => message.key === key && message.seq === undefined);
  const known = list[index];
  if (!known) return list;
  const next = change(known);
  return next === known ? list : list.with(index, next);
}

function withoutError(message: ChatMessage): ChatMessage {
  if (!message.error) return message;
  const { error: _error, ...rest } = message;
  return rest;
}
