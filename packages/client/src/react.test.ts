// @vitest-environment happy-dom
import { act, createElement, StrictMode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ana, bo, info, joinAnswer, ROOM, stored } from '../test/fixtures';
import {
  createParleyClient,
  type ParleyClient,
  type ParleyClientOptions,
  type ParleySnapshot,
} from './client';
import { initialConnection } from './connection';
import {
  type ParleyStore,
  useConnection,
  useParleyClient,
  usePresence,
  usePresencePages,
  useRoom,
  useRoomList,
  useTyping,
} from './react';
import { emptyRoom, type RoomAction, roomReducer } from './room';
import { emptyDirectory } from './room-directory';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
});

function render(element: React.ReactElement) {
  const container = document.createElement('div');
  root = createRoot(container);
  act(() => root?.render(element));
  return container;
}

/** A store with the client's API whose snapshots the test makes with the room reducer. */
function fakeStore(): ParleyStore & {
  room(action: RoomAction): void;
  set(change: Partial<ParleySnapshot>): void;
} {
  let snapshot: ParleySnapshot = {
    workspace: 'acme',
    me: ana,
    connection: { ...initialConnection(), status: 'connected' },
    rooms: {
      [ROOM]: roomReducer(emptyRoom(ROOM), {
        type: 'join',
        result: joinAnswer([stored(1)]),
        me: ana.id,
      }),
    },
    activeRoom: ROOM,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  };
  const listeners = new Set<() => void>();
  const set = (change: Partial<ParleySnapshot>) => {
    snapshot = { ...snapshot, ...change };
    for (const listener of listeners) listener();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    set,
    room(action) {
      const current = snapshot.rooms[ROOM];
      if (current) set({ rooms: { ...snapshot.rooms, [ROOM]: roomReducer(current, action) } });
    },
  };
}

/** How often each component below rendered. */
const renders = { messages: 0, typing: 0, presence: 0, connection: 0 };

function Messages({ store }: { store: ParleyStore }) {
  const view = useRoom(store, ROOM);
  renders.messages++;
  return createElement(
    'ul',
    null,
    view?.timeline.messages.map((m) => createElement('li', { key: m.key }, m.text)),
  );
}

function Typing({ store }: { store: ParleyStore }) {
  const typing = useTyping(store, ROOM);
  renders.typing++;
  return createElement('p', { id: 'typing' }, typing.map((t) => t.user.name).join(','));
}

function Presence({ store }: { store: ParleyStore }) {
  const { members } = usePresence(store, ROOM);
  renders.presence++;
  return createElement('p', { id: 'members' }, members.map((m) => m.name).join(','));
}

function Connection({ store }: { store: ParleyStore }) {
  const { status } = useConnection(store);
  renders.connection++;
  return createElement('p', { id: 'status' }, status);
}

let seen: unknown[] = [];
function WithoutClient() {
  seen = [
    useConnection(null).status,
    useRoom(null, ROOM),
    useTyping(null, ROOM),
    useRoomList(null).shown,
  ];
  return null;
}

describe('the hooks select slices', () => {
  it('a typing event re-renders the typing line, not the message list', () => {
    const store = fakeStore();
    Object.assign(renders, { messages: 0, typing: 0, presence: 0, connection: 0 });
    const container = render(
      createElement(
        'div',
        null,
        createElement(Messages, { store }),
        createElement(Typing, { store }),
        createElement(Presence, { store }),
        createElement(Connection, { store }),
      ),
    );
    expect(renders).toEqual({ messages: 1, typing: 1, presence: 1, connection: 1 });

    act(() =>
      store.room({
        type: 'typing:changed',
        payload: { room: ROOM, user: bo, typing: true },
        me: ana.id,
        now: Date.now(),
      }),
    );
    expect(container.querySelector('#typing')?.textContent).toBe('Bo');
    expect(renders).toEqual({ messages: 1, typing: 2, presence: 1, connection: 1 });

    act(() => store.room({ type: 'presence:joined', payload: { room: ROOM, member: bo } }));
    expect(container.querySelector('#members')?.textContent).toBe('Ana,Bo');
    expect(renders).toEqual({ messages: 1, typing: 2, presence: 2, connection: 1 });

    act(() => store.room({ type: 'message:new', payload: stored(2, bo), me: ana.id }));
    expect(container.querySelectorAll('li')).toHaveLength(2);
    // Bo's message also ends his typing.
    expect(renders).toEqual({ messages: 2, typing: 3, presence: 2, connection: 1 });

    // A change elsewhere in the snapshot re-renders none of them.
    act(() => store.set({ roleChange: { id: 1, room: 'other', previous: null, role: 'member' } }));
    expect(renders).toEqual({ messages: 2, typing: 3, presence: 2, connection: 1 });
  });

  it('answer a fallback while there is no client', () => {
    render(createElement(WithoutClient));
    expect(seen).toEqual(['connecting', undefined, [], null]);
  });
});

let presenceSeen: ReturnType<typeof usePresence> | undefined;
function Who({ store }: { store: ParleyStore }) {
  presenceSeen = usePresence(store, ROOM);
  return null;
}

let view: ReturnType<typeof usePresencePages> | undefined;
function Pages({ client, room }: { client: Pick<ParleyClient, 'listPresence'>; room: string }) {
  view = usePresencePages(client, room, { limit: 2 });
  return null;
}

describe('presence in a big room', () => {
  it('usePresence says the mode, the count and whether the list is complete', () => {
    const store = fakeStore();
    render(createElement(Who, { store }));
    const seen = () => presenceSeen;
    expect(seen()).toMatchObject({ mode: 'members', count: 1, status: 'live', complete: true });
    act(() =>
      store.room({
        type: 'join',
        me: ana.id,
        result: joinAnswer([stored(1)], {
          room: info({ lastSeq: 1, presence: 'count', memberCount: 240 }),
          members: [ana, bo],
        }),
      }),
    );
    expect(seen()).toMatchObject({
      mode: 'count',
      count: 240,
      memberCount: 240,
      members: [ana, bo],
      status: 'sample',
      complete: false,
    });
  });

  it('usePresencePages asks for pages on demand, one at a time, and forgets them for another room', async () => {
    const cy = { id: 'cy', name: 'Cy' };
    const asked: unknown[] = [];
    const answers: ((value: Awaited<ReturnType<ParleyClient['listPresence']>>) => void)[] = [];
    const client: Pick<ParleyClient, 'listPresence'> = {
      listPresence: (room, page) => {
        asked.push({ room, ...page });
        return new Promise((resolve) => answers.push(resolve));
      },
    };
    const container = document.createElement('div');
    root = createRoot(container);
    act(() => root?.render(createElement(Pages, { client, room: ROOM })));
    expect(view).toMatchObject({ started: false, loading: false, members: [] });
    expect(asked).toEqual([]);

    act(() => view?.loadMore());
    act(() => view?.loadMore());
    expect(asked).toEqual([{ room: ROOM, limit: 2 }]);
    expect(view?.loading).toBe(true);
    await act(async () =>
      answers[0]?.({ ok: true, members: [ana, bo], nextCursor: 'c1', memberCount: 3 }),
    );
    expect(view).toMatchObject({ members: [ana, bo], done: false, memberCount: 3, loading: false });

    act(() => view?.loadMore());
    expect(asked.at(-1)).toEqual({ room: ROOM, cursor: 'c1', limit: 2 });
    await act(async () =>
      answers[1]?.({ ok: true, members: [bo, cy], nextCursor: null, memberCount: 3 }),
    );
    expect(view).toMatchObject({ members: [ana, bo, cy], done: true });
    act(() => view?.loadMore());
    expect(asked).toHaveLength(2);

    // Another room: the pages start afresh, and a late answer for the first is not added.
    act(() => root?.render(createElement(Pages, { client, room: 'other' })));
    expect(view).toMatchObject({ started: false, members: [] });
    act(() => view?.loadMore());
    act(() => view?.reset());
    await act(async () =>
      answers[2]?.({ ok: true, members: [cy], nextCursor: null, memberCount: 1 }),
    );
    expect(view).toMatchObject({ started: false, members: [], loading: false });
  });
});

const shown: (ParleyClient | null)[] = [];
function App({
  options,
  create,
}: {
  options: ParleyClientOptions;
  create: (options: ParleyClientOptions) => ParleyClient;
}) {
  const client = useParleyClient(options, create);
  useEffect(() => {
    shown.push(client);
  });
  return null;
}

describe('useParleyClient', () => {
  it('under StrictMode, keeps one client, disposes the other before it connects, and disposes on unmount', async () => {
    const made: ParleyClient[] = [];
    const create = (options: ParleyClientOptions) => {
      const client = createParleyClient(options);
      made.push(client);
      return client;
    };
    const session = { token: () => 'token', me: () => ana };
    // Nothing listens there: the client that stays tries to connect, and is disposed on unmount.
    const options: ParleyClientOptions = { url: 'http://127.0.0.1:9', workspace: 'acme', session };
    shown.length = 0;
    render(createElement(StrictMode, null, createElement(App, { options, create })));
    // Connections open once the effect's turn is over.
    await act(() => Promise.resolve());
    expect(made).toHaveLength(2);
    const [first, second] = made;
    expect(shown.at(-1)).toBe(second);
    // The first was disposed at once: it never opened a connection.
    expect(first?.socket.io.engine).toBeUndefined();
    expect(second?.socket.io.engine).toBeDefined();
    act(() => root?.unmount());
    root = undefined;
    expect(second?.socket.active).toBe(false);
    // Its disposal also stopped its store: later changes reach nobody.
    let heard = 0;
    second?.subscribe(() => heard++);
    second?.open('anything');
    expect(heard).toBe(0);
  });
});
