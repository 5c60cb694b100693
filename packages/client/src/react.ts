'use client';

import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useReducer,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import {
  createParleyClient,
  type ParleyClient,
  type ParleyClientOptions,
  type ParleySnapshot,
} from './client';
import { type ConnectionState, initialConnection } from './connection';
import {
  emptyPresencePages,
  mayLoadMore,
  nextPageRequest,
  type PresencePages,
  presencePagesReducer,
} from './presence';
import type { LiveEvent, MembersStatus, RoomState } from './room';
import { emptyDirectory, type RoomDirectory } from './room-directory';
import type { TypingEntry } from './typing';

/**
 * React bindings: hooks that read a client's snapshot through `useSyncExternalStore`, each
 * selecting a slice and answering the same object while that slice is unchanged, so a typing
 * event re-renders the typing line and not the message list. Every hook takes the client (or
 * null while there is none yet) and renders nothing of its own; none has side effects during
 * render.
 */

/** What the hooks read: any client, or a stand-in with the same store API. */
export type ParleyStore = Pick<ParleyClient, 'subscribe' | 'getSnapshot'>;

const noSubscription = () => () => {};
const EMPTY: readonly never[] = [];
const NO_CONNECTION: ConnectionState = initialConnection();
const NO_DIRECTORY: RoomDirectory = emptyDirectory();
const NO_PRESENCE: Presence = {
  mode: 'members',
  count: 0,
  members: EMPTY,
  status: 'live',
  complete: true,
  memberCount: 0,
};

/**
 * The slice `select` picks from the client's snapshot, kept as the same object while `isEqual`
 * finds it unchanged. `fallback` while there is no client.
 */
export function useParleySelector<T>(
  client: ParleyStore | null | undefined,
  select: (snapshot: ParleySnapshot) => T,
  fallback: T,
  isEqual: (a: T, b: T) => boolean = Object.is,
): T {
  // A cache of the last selection: the snapshot it came from and the selector that made it.
  const last = useRef<{ snapshot: ParleySnapshot | null; value: T } | null>(null);
  const selectRef = useRef(select);
  const getSelection = (): T => {
    if (!client) return fallback;
    const snapshot = client.getSnapshot();
    const cached = last.current;
    if (cached && cached.snapshot === snapshot && selectRef.current === select) return cached.value;
    const value = select(snapshot);
    if (cached && isEqual(cached.value, value)) {
      last.current = { snapshot, value: cached.value };
      return cached.value;
    }
    last.current = { snapshot, value };
    return value;
  };
  useEffect(() => {
    selectRef.current = select;
  });
  return useSyncExternalStore(client?.subscribe ?? noSubscription, getSelection, getSelection);
}

/** Equal when both have the same keys with the same values (one level deep). */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keysA = Object.keys(a) as (keyof T)[];
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && Object.is(a[key], b[key]));
}

export function useConnection(client: ParleyStore | null | undefined): ConnectionState {
  return useParleySelector(client, (snapshot) => snapshot.connection, NO_CONNECTION);
}

/** A room as a message view shows it: everything but typing, presence and live events. */
export type RoomView = Omit<RoomState, 'typing' | 'members' | 'liveEvents'>;

function roomView(room: RoomState | undefined): RoomView | undefined {
  if (!room) return undefined;
  const { typing: _typing, members: _members, liveEvents: _events, ...view } = room;
  return view;
}

/**
 * A room's timeline (messages, gaps, hasMore…), details, join state and unread count;
 * undefined until the room is joined or opened. Typing, presence and live events change it not.
 */
export function useRoom(
  client: ParleyStore | null | undefined,
  room: string,
): RoomView | undefined {
  return useParleySelector(
    client,
    (snapshot) => roomView(snapshot.rooms[room]),
    undefined,
    shallowEqual,
  );
}

/** Who else is typing in the room now. */
export function useTyping(
  client: ParleyStore | null | undefined,
  room: string,
): readonly TypingEntry[] {
  return useParleySelector(client, (snapshot) => snapshot.rooms[room]?.typing ?? EMPTY, EMPTY);
}

export interface Presence {
  /**
   * `members`: arrivals and departures come live, `members` is everyone (once `complete`).
   * `count`: a big room: show `count`, and list who is here on demand (`usePresencePages`).
   */
  mode: RoomState['details']['presence'];
  /** The server's count of users online. */
  count: number;
  members: RoomState['members'];
  /** How far `members` can be trusted: `live`, a `sample` (count mode), `stale` (being fetched). */
  status: MembersStatus;
  /** `members` is everyone present (`status` is `live`). */
  complete: boolean;
  /** The same as `count` (its name before presence modes). */
  memberCount: number;
}

/** Who is present in a room, and how far the list can be trusted (see `Presence`). */
export function usePresence(client: ParleyStore | null | undefined, room: string): Presence {
  return useParleySelector(
    client,
    (snapshot) => {
      const state = snapshot.rooms[room];
      if (!state) return NO_PRESENCE;
      const count = state.details.memberCount;
      return {
        mode: state.details.presence,
        count,
        members: state.members,
        status: state.membersStatus,
        complete: state.membersStatus === 'live',
        memberCount: count,
      };
    },
    NO_PRESENCE,
    shallowEqual,
  );
}

export interface PresencePagesView extends PresencePages {
  /** Asks for the next page (the first, at first), unless one is on its way or all were read. */
  loadMore(): void;
  /** Forgets the pages read, to read them afresh. */
  reset(): void;
}

/**
 * Who is present in a room, page by page on demand (`client.listPresence`): for a room in `count`
 * presence, whose live `members` are only a sample. Nothing is asked until `loadMore()`; the
 * pages are forgotten when the client or the room changes. Members are keyed by id (a user who
 * came and went while paging is listed once).
 */
export function usePresencePages(
  client: Pick<ParleyClient, 'listPresence'> | null | undefined,
  room: string,
  { limit }: { limit?: number } = {},
): PresencePagesView {
  const [pages, dispatch] = useReducer(presencePagesReducer, undefined, emptyPresencePages);
  const latest = useRef(pages);
  useEffect(() => {
    latest.current = pages;
  });
  /** Bumped when the pages are forgotten: a page asked for before is not added. */
  const generation = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the pages belong to this client and room: a new one starts afresh.
  useEffect(() => {
    generation.current++;
    dispatch({ type: 'reset' });
  }, [client, room]);
  const loadMore = useCallback(() => {
    const current = latest.current;
    if (!client || !mayLoadMore(current)) return;
    const asked = generation.current;
    // Marked at once, so a second click before the render does not ask for the same page.
    latest.current = presencePagesReducer(current, { type: 'loading' });
    dispatch({ type: 'loading' });
    void client.listPresence(room, nextPageRequest(current, limit)).then((result) => {
      if (generation.current === asked) dispatch({ type: 'page', result });
    });
  }, [client, room, limit]);
  const reset = useCallback(() => {
    generation.current++;
    dispatch({ type: 'reset' });
  }, []);
  return { ...pages, loadMore, reset };
}

/** The newest transient event of each type a backend published to the room. */
export function useLiveEvents(
  client: ParleyStore | null | undefined,
  room: string,
): readonly LiveEvent[] {
  return useParleySelector(client, (snapshot) => snapshot.rooms[room]?.liveEvents ?? EMPTY, EMPTY);
}

/** The room list (call `client.watchRoomList()` to fill it). */
export function useRoomList(client: ParleyStore | null | undefined): RoomDirectory {
  return useParleySelector(client, (snapshot) => snapshot.roomDirectory, NO_DIRECTORY);
}

/**
 * A client for as long as the component using it is mounted: created in an effect (never during
 * render) and disposed when it unmounts or when `url`, `workspace` or `session` change. Null
 * until then, and while `options` is null. StrictMode's mount, unmount and mount again make a
 * client, dispose it before it connects, and make the one that stays. Keep `session` stable (a
 * new session object is a new identity, so a new client); other options are read on creation.
 */
export function useParleyClient(
  options: ParleyClientOptions | null,
  create: (options: ParleyClientOptions) => ParleyClient = createParleyClient,
): ParleyClient | null {
  const [client, setClient] = useState<ParleyClient | null>(null);
  const latest = useRef({ options, create });
  useEffect(() => {
    latest.current = { options, create };
  });
  const url = options?.url;
  const workspace = options?.workspace;
  const session = options?.session;
  const transports = options?.transports?.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: these name the client; the rest is read from `latest` once, when it is made.
  useEffect(() => {
    const current = latest.current;
    if (!current.options || !url || !workspace || !session) return;
    const made = current.create({ ...current.options, url, workspace, session });
    setClient(made);
    return () => {
      made.dispose();
      setClient((shown) => (shown === made ? null : shown));
    };
  }, [url, workspace, session, transports]);
  return client;
}

const ParleyContext = createContext<ParleyClient | null>(null);

/** Hands a client to every `useParley()` below. */
export function ParleyProvider({
  client,
  children,
}: {
  client: ParleyClient | null;
  children?: ReactNode;
}): ReactNode {
  return createElement(ParleyContext.Provider, { value: client }, children);
}

/** The client a `ParleyProvider` above hands down (null when there is none yet). */
export function useParley(): ParleyClient | null {
  return useContext(ParleyContext);
}

/**
 * Keeps a room open (joined and in view) while the component using it is mounted; it stays
 * joined afterwards, blurred, counting unread messages.
 */
export function useOpenRoom(client: ParleyClient | null | undefined, room: string): void {
  useEffect(() => {
    if (!client) return;
    client.open(room);
    return () => client.blur(room);
  }, [client, room]);
}
