import { ClientEvent } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import { nextExpiry, typingDecision } from '../typing';
import type { SnapshotStore } from './snapshot-store';

export interface TypingSignals {
  /** Says whether this user is typing (throttled: call it on every keystroke). */
  setTyping(room: string, typing: boolean): void;
  /** Forgets what was said in a room, so the next keystroke says it again at once. */
  forget(room: string): void;
  /** Forgets what was said on a lost connection. */
  forgetConnection(): void;
  /** (Re)arms the timer that runs out others' typing: call it when a room's typing changed. */
  scheduleExpiry(): void;
  dispose(): void;
}

/**
 * Typing both ways: this user's, sent throttled as the pure rules in typing.ts decide, and
 * others', which runs out by itself.
 */
export function createTypingSignals(deps: {
  store: SnapshotStore;
  socket: ChatSocket;
  now: () => number;
}): TypingSignals {
  const { store, socket, now } = deps;
  /** When this client last told each room it was typing. */
  const typingSent = new Map<string, number>();
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let typingTimerAt: number | undefined;

  function setTyping(room: string, typing: boolean): void {
    if (!socket.connected || !store.get().rooms[room]?.joined) return;
    const decision = typingDecision(typingSent.get(room), typing, now());
    if (decision.sentAt === undefined) typingSent.delete(room);
    else typingSent.set(room, decision.sentAt);
    if (decision.send !== null) {
      // Volatile: a typing signal is worth nothing late, so it is dropped rather than buffered.
      socket.volatile.emit(ClientEvent.TypingSet, { room, typing: decision.send });
    }
  }

  /** Others' typing runs out by itself: one timer, for whichever entry runs out first. */
  function scheduleExpiry(): void {
    const next = nextExpiry(Object.values(store.get().rooms).map((room) => room.typing));
    if (next === typingTimerAt || store.isDisposed()) return;
    clearTimeout(typingTimer);
    typingTimerAt = next;
    if (next === undefined) return;
    typingTimer = setTimeout(
      () => {
        typingTimerAt = undefined;
        const at = now();
        for (const room of Object.keys(store.get().rooms)) {
          store.updateRoom(room, { type: 'typingExpired', now: at });
        }
        scheduleExpiry();
      },
      Math.max(0, next - now()) + 1,
    );
  }

  return {
    setTyping,
    forget(room) {
      typingSent.delete(room);
    },
    forgetConnection() {
      typingSent.clear();
    },
    scheduleExpiry,
    dispose() {
      clearTimeout(typingTimer);
    },
  };
}
