import { ClientEvent } from '@parley/protocol';
import {
  type PresencePage,
  type PresencePageRequest,
  presenceEffect,
  refetchDelay,
  walkPresence,
} from '../presence';
import type { RoomState } from '../room';
import type { Requests } from './requests';
import type { SnapshotStore } from './snapshot-store';

/** Failed refetches tried again (each after a new random delay, and a second more each time). */
const REFETCH_RETRIES = 3;

export interface PresenceRefetch {
  /** One page of who is present in a joined room (`presence:list`). */
  list(room: string, page?: PresencePageRequest): Promise<PresencePage>;
  /** Carries out what a room's change asks of its member list (presence.ts, `presenceEffect`). */
  roomChanged(room: string, before: RoomState, after: RoomState): void;
  /** Drops the refetches waiting: after a reconnection, the join answers the whole list. */
  forgetConnection(): void;
  dispose(): void;
}

/**
 * Who is present: pages on demand, and a room's member list fetched again (every page) when it
 * went stale, that is when the room came back from `count` to `members` presence. The fetch
 * waits a random 0-1 s first, so that a room hovering at the server's threshold does not make
 * all its clients ask at once every time it flips; it is dropped when the room goes back to
 * `count` meanwhile, and a room has one fetch under way at a time (a newer one waits for it, and
 * an answer to an older one is not used).
 */
export function createPresenceRefetch(deps: {
  store: SnapshotStore;
  requests: Requests;
  /** `Math.random` unless a test fixes it. */
  random: () => number;
}): PresenceRefetch {
  const { store, requests, random } = deps;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Bumped on every refetch scheduled or dropped: an answer for an older one is not used. */
  const generations = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();

  const list = (room: string, page: PresencePageRequest = {}): Promise<PresencePage> =>
    requests.call(ClientEvent.PresenceList, { room, ...page });

  function drop(room: string): number {
    clearTimeout(timers.get(room));
    timers.delete(room);
    const generation = (generations.get(room) ?? 0) + 1;
    generations.set(room, generation);
    return generation;
  }

  function schedule(room: string, delayMs: number, attempt: number): void {
    if (store.isDisposed()) return;
    const generation = drop(room);
    timers.set(
      room,
      setTimeout(() => {
        timers.delete(room);
        void run(room, generation, attempt);
      }, delayMs),
    );
  }

  const current = (room: string, generation: number) =>
    !store.isDisposed() && generations.get(room) === generation;

  async function run(room: string, generation: number, attempt: number): Promise<void> {
    // One fetch per room at a time: a newer one waits for the one under way.
    const before = inFlight.get(room);
    if (before) await before;
    const state = store.get().rooms[room];
    if (!current(room, generation) || !state?.joined || state.membersStatus !== 'stale') return;
    const at = requests.epoch();
    const fetching = walkPresence((page) => list(room, page)).then((result) => {
      if (requests.stale(at) || !current(room, generation)) return;
      if (result.ok) {
        store.updateRoom(room, { type: 'membersFetched', result });
      } else if (attempt < REFETCH_RETRIES) {
        schedule(room, refetchDelay(random) + 1000 * (attempt + 1), attempt + 1);
      }
    });
    const done = fetching.finally(() => {
      if (inFlight.get(room) === done) inFlight.delete(room);
    });
    inFlight.set(room, done);
    await done;
  }

  return {
    list,
    roomChanged(room, before, after) {
      const effect = presenceEffect(before, after, random);
      if (effect?.type === 'refetch') schedule(room, effect.delayMs, 0);
      else if (effect?.type === 'cancelRefetch') drop(room);
    },
    forgetConnection() {
      for (const room of [...timers.keys()]) drop(room);
    },
    dispose() {
      for (const room of [...timers.keys()]) drop(room);
    },
  };
}
