import {
  type AckOf,
  ClientEvent,
  type ErrorBody,
  ErrorCode,
  errorBody,
  fail,
  MessageText,
} from '@parley/protocol';
import { type ChatSocket, RESEND_DELAYS_MS } from '@parley/protocol/client';
import { newClientMsgId } from '../ids';
import { localByKey } from '../outbox';
import { localMessage } from '../timeline';
import { type Requests, wait } from './requests';
import type { SnapshotStore } from './snapshot-store';

export interface OutboxDelivery {
  send(room: string, text: string): string;
  retry(room: string, key: string): void;
  /**
   * Sends a pending message, resending it with the same `clientMsgId` while the answer is
   * `unavailable` (outcome unknown) and the connection holds. Offline, or with the room not
   * joined, it stays pending: the (re)join sends it.
   */
  deliver(room: string, key: string): Promise<void>;
  edit(room: string, key: string, text: string): Promise<ErrorBody | null>;
  delete(room: string, key: string): Promise<ErrorBody | null>;
  /** Forgets the sends of a lost connection: the next join resends what is still pending. */
  forgetConnection(): void;
}

/**
 * This user's own messages on their way to the server (shown at once as pending; never stored
 * twice, since every resend carries the same `clientMsgId`), and the edits and deletions of
 * stored ones. A `not_joined` answer has the room joined again (`rejoin`), which resends.
 */
export function createOutboxDelivery(deps: {
  store: SnapshotStore;
  socket: ChatSocket;
  requests: Requests;
  now: () => number;
  join: (room: string) => void;
  rejoin: (room: string) => void;
  /** Sending ends typing for the server: forgets that this client said it was typing. */
  forgetTyping: (room: string) => void;
}): OutboxDelivery {
  const { store, socket, requests, now, join, rejoin, forgetTyping } = deps;
  const { call } = requests;
  /** Keys of the messages with a request on its way, so that one is not sent twice at once. */
  const sending = new Set<string>();

  function send(room: string, text: string): string {
    if (!store.get().rooms[room]) join(room);
    const checked = MessageText.safeParse(text);
    const message = localMessage(
      store.get().me,
      checked.success ? checked.data : text,
      newClientMsgId(),
      new Date(now()).toISOString(),
    );
    store.updateRoom(room, { type: 'send', message });
    // Sending ends typing for the server; the next keystroke says it again at once.
    forgetTyping(room);
    if (!checked.success) {
      const problem = checked.error.issues[0]?.message ?? 'invalid text';
      const result = fail(ErrorCode.InvalidPayload, problem);
      store.updateRoom(room, {
        type: 'sendAck',
        key: message.key,
        result,
        connected: socket.connected,
      });
    } else {
      void deliver(room, message.key);
    }
    return message.key;
  }

  function retry(room: string, key: string): void {
    store.updateRoom(room, { type: 'resend', key });
    void deliver(room, key);
  }

  async function deliver(room: string, key: string): Promise<void> {
    if (sending.has(key)) return;
    const at = requests.epoch();
    sending.add(key);
    try {
      for (let attempt = 0; ; attempt++) {
        const state = store.get().rooms[room];
        const local = state && localByKey(state.timeline.messages, key);
        if (!state || !local?.clientMsgId || local.delivery !== 'pending') return;
        if (!socket.connected || !state.joined || state.removed) return;
        const result = await call(ClientEvent.MessageSend, {
          room,
          text: local.text,
          clientMsgId: local.clientMsgId,
        });
        if (store.isDisposed()) return;
        if (at !== requests.epoch()) {
          // The connection that sent it is gone; the new one resends it. A stored answer holds.
          if (result.ok) store.updateRoom(room, { type: 'sendAck', key, result, connected: true });
          return;
        }
        const delay = RESEND_DELAYS_MS[attempt];
        if (
          !result.ok &&
          result.error.code === ErrorCode.Unavailable &&
          delay !== undefined &&
          socket.connected
        ) {
          await wait(delay);
          if (requests.stale(at)) return;
          continue;
        }
        store.updateRoom(room, { type: 'sendAck', key, result, connected: socket.connected });
        if (!result.ok && result.error.code === ErrorCode.NotJoined) rejoin(room);
        return;
      }
    } finally {
      if (at === requests.epoch()) sending.delete(key);
    }
  }

  function storedMessage(room: string, key: string): { seq: number; id: string } | undefined {
    const message = store
      .get()
      .rooms[room]?.timeline.messages.find((known) => known.key === key && !known.hidden);
    return message?.seq !== undefined && message.id !== undefined
      ? { seq: message.seq, id: message.id }
      : undefined;
  }

  /** An edit or deletion of a stored message: applied once the server has acknowledged it. */
  async function change(
    room: string,
    key: string,
    ask: (target: {
      seq: number;
      id: string;
    }) => Promise<AckOf<'message:edit'> | AckOf<'message:delete'>>,
  ): Promise<ErrorBody | null> {
    const target = storedMessage(room, key);
    if (!target) return errorBody(ErrorCode.NotFound, 'no stored message with that key');
    const result = await ask(target);
    if (!result.ok) {
      if (result.error.code === ErrorCode.NotJoined) rejoin(room);
      return result.error;
    }
    store.updateRoom(room, { type: 'changeAck', result, by: store.get().me, now: now() });
    return null;
  }

  return {
    send,
    retry,
    deliver,
    edit: (room, key, text) =>
      change(room, key, (target) => call(ClientEvent.MessageEdit, { room, ...target, text })),
    delete: (room, key) =>
      change(room, key, (target) => call(ClientEvent.MessageDelete, { room, ...target })),
    forgetConnection() {
      sending.clear();
    },
  };
}
