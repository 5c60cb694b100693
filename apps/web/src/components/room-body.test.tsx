// @vitest-environment happy-dom
import {
  emptyDirectory,
  emptyRoom,
  initialConnection,
  type ParleyClient,
  type ParleySnapshot,
  type RoomAction,
  roomReducer,
} from '@parley/client';
import { ParleyProvider } from '@parley/client/react';
import type { Message } from '@parley/protocol';
import { act, Profiler } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RoomBody } from './room-body';

/**
 * How often each message was rendered. Messages are not memoised, so every render of the
 * message list renders each of them: a count that does not move means the list did not render.
 */
const renders = vi.hoisted(() => ({ messages: 0 }));
vi.mock('./message-item', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./message-item')>();
  return {
    ...actual,
    MessageItem(props: Parameters<typeof actual.MessageItem>[0]) {
      renders.messages++;
      return actual.MessageItem(props);
    },
  };
});

const ROOM = 'general';
const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const stored = (seq: number, author = ana): Message => ({
  id: `id${seq}`,
  room: ROOM,
  seq,
  author,
  text: `message ${seq}`,
  sentAt: new Date(Date.UTC(2026, 0, 1, 12, seq)).toISOString(),
});

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
});

/**
 * A client as the screens see it: its snapshots made by the library's own room reducer, as the
 * real client makes them from the server's events; its actions recorded.
 */
function fakeClient() {
  let snapshot: ParleySnapshot = {
    workspace: 'acme',
    me: ana,
    connection: { ...initialConnection(), status: 'connected' },
    rooms: {
      [ROOM]: roomReducer(emptyRoom(ROOM), {
        type: 'join',
        result: {
          ok: true,
          room: {
            name: ROOM,
            topic: null,
            memberCount: 1,
            visibility: 'public',
            readOnly: false,
            presence: 'members',
            lastSeq: 3,
            role: null,
          },
          messages: [stored(1), stored(2, bo), stored(3)],
          members: [ana],
          hasMore: false,
          recovered: false,
        },
        me: ana.id,
      }),
      other: emptyRoom('other'),
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
  const client = {
    workspace: 'acme',
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    send: vi.fn(() => 'key'),
    setTyping: vi.fn(),
    retry: vi.fn(),
    loadOlder: vi.fn(async () => {}),
    edit: vi.fn(async () => null),
    delete: vi.fn(async () => null),
  };
  return {
    client: client as unknown as ParleyClient,
    /** What the server's event (or the client's action) does to a room. */
    dispatch(room: string, action: RoomAction) {
      const state = snapshot.rooms[room];
      if (state) set({ rooms: { ...snapshot.rooms, [room]: roomReducer(state, action) } });
    },
    set,
  };
}

describe("a room's conversation", () => {
  it('re-renders the typing line on a typing event, and not the message list', () => {
    const { client, dispatch, set } = fakeClient();
    let commits = 0;
    const container = document.createElement('div');
    root = createRoot(container);
    renders.messages = 0;
    act(() =>
      root?.render(
        <ParleyProvider client={client}>
          <Profiler id="room" onRender={() => commits++}>
            <RoomBody room={ROOM} />
          </Profiler>
        </ParleyProvider>,
      ),
    );
    const typingLine = () => container.querySelector('[data-testid="typing"]')?.textContent;
    const shown = () =>
      [...container.querySelectorAll('.message .text')].map((text) => text.textContent);
    expect(shown()).toEqual(['message 1', 'message 2', 'message 3']);
    expect(renders.messages).toBe(3);

    // Bo types: the line says so; the list and its messages stay as they were.
    const before = commits;
    act(() =>
      dispatch(ROOM, {
        type: 'typing:changed',
        payload: { room: ROOM, user: bo, typing: true },
        me: ana.id,
        now: Date.now(),
      }),
    );
    expect(typingLine()).toBe('Bo is typing…');
    expect(commits).toBeGreaterThan(before);
    expect(renders.messages).toBe(3);

    // Presence, a live event, the room's count online, another room: not the list either.
    act(() => dispatch(ROOM, { type: 'presence:joined', payload: { room: ROOM, member: bo } }));
    act(() =>
      dispatch(ROOM, {
        type: 'room:event',
        payload: { room: ROOM, type: 'build.progress', data: { percent: 64 } },
        now: Date.now(),
      }),
    );
    expect(container.querySelector('[data-live-event="build.progress"]')).not.toBeNull();
    act(() =>
      dispatch(ROOM, {
        type: 'room:updated',
        payload: {
          room: ROOM,
          topic: 'plans',
          memberCount: 2,
          visibility: 'public',
          readOnly: false,
          presence: 'members',
        },
      }),
    );
    act(() => dispatch('other', { type: 'focus' }));
    act(() => set({ roleChange: { id: 1, room: 'other', previous: null, role: 'member' } }));
    expect(renders.messages).toBe(3);

    // Bo's message: the list renders (each of its four messages), and his typing ends.
    act(() => dispatch(ROOM, { type: 'message:new', payload: stored(4, bo), me: ana.id }));
    expect(shown()).toEqual(['message 1', 'message 2', 'message 3', 'message 4']);
    expect(renders.messages).toBe(3 + 4);
    expect(typingLine()).toBe('');
  });
});
