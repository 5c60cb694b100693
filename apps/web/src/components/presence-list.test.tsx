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
import { usePresence, usePresencePages } from '@parley/client/react';
import { type AckOf, ErrorCode, fail, type Member } from '@parley/protocol';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PresenceList } from './presence-list';

const ROOM = 'big';
const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const cy = { id: 'cy', name: 'Cy' };

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
});

/** A client whose room is made by the library's reducer, and whose `presence:list` the test answers. */
function fakeClient(presence: 'members' | 'count', memberCount: number, members: Member[]) {
  let snapshot: ParleySnapshot = {
    workspace: 'acme',
    me: ana,
    connection: { ...initialConnection(), status: 'connected' },
    rooms: {
      [ROOM]: roomReducer(emptyRoom(ROOM), {
        type: 'join',
        me: ana.id,
        result: {
          ok: true,
          room: {
            name: ROOM,
            topic: null,
            memberCount,
            visibility: 'public',
            readOnly: false,
            presence,
            lastSeq: 0,
            role: null,
          },
          messages: [],
          members,
          hasMore: false,
          recovered: false,
        },
      }),
    },
    activeRoom: ROOM,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  };
  const listeners = new Set<() => void>();
  const asked: unknown[] = [];
  const answers: ((page: AckOf<'presence:list'>) => void)[] = [];
  const client = {
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    listPresence(room: string, page: object = {}) {
      asked.push({ room, ...page });
      return new Promise<AckOf<'presence:list'>>((resolve) => answers.push(resolve));
    },
  };
  return {
    client: client as unknown as ParleyClient,
    asked,
    answer: (i: number, page: AckOf<'presence:list'>) => act(async () => answers[i]?.(page)),
    dispatch(action: RoomAction) {
      const state = snapshot.rooms[ROOM];
      if (!state) return;
      snapshot = { ...snapshot, rooms: { [ROOM]: roomReducer(state, action) } };
      for (const listener of listeners) listener();
    },
  };
}

function Panel({ client }: { client: ParleyClient }) {
  const presence = usePresence(client, ROOM);
  const pages = usePresencePages(client, ROOM);
  return <PresenceList room={ROOM} presence={presence} pages={pages} me={ana} />;
}

function render(client: ParleyClient) {
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  act(() => root?.render(<Panel client={client} />));
  return container;
}

const names = (container: HTMLElement) =>
  [...container.querySelectorAll('[data-testid="members"] li')].map((li) => li.textContent);
const button = (container: HTMLElement, name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name);

describe('the presence panel', () => {
  it('in members presence lists everyone, live, me first', () => {
    const fake = fakeClient('members', 2, [bo, ana]);
    const container = render(fake.client);
    expect(container.querySelector('h2')?.textContent).toBe('Online — 2');
    expect(names(container)).toEqual(['Ana (you)', 'Bo']);
    act(() =>
      fake.dispatch({
        type: 'presence:changed',
        payload: { room: ROOM, joined: [cy], left: [bo] },
      }),
    );
    expect(names(container)).toEqual(['Ana (you)', 'Cy']);
    expect(button(container, "Show who's here")).toBeUndefined();
  });

  it('in count presence shows the count, and who is here on demand, page by page', async () => {
    const fake = fakeClient('count', 240, [bo, ana]);
    const container = render(fake.client);
    expect(container.querySelector('[data-testid="online-count"]')?.textContent).toBe('240 online');
    // The join answer's sample is not shown as if it were everyone.
    expect(names(container)).toEqual([]);
    expect(fake.asked).toEqual([]);

    act(() => button(container, "Show who's here")?.click());
    expect(fake.asked).toEqual([{ room: ROOM }]);
    expect(button(container, 'Loading…')?.disabled).toBe(true);
    await fake.answer(0, { ok: true, members: [bo, ana], nextCursor: 'c1', memberCount: 240 });
    expect(names(container)).toEqual(['Ana (you)', 'Bo']);
    expect(container.querySelector('[role="status"]')?.textContent).toBe('2 of about 240 listed.');

    act(() => button(container, 'Show more')?.click());
    expect(fake.asked.at(-1)).toEqual({ room: ROOM, cursor: 'c1' });
    await fake.answer(1, { ok: true, members: [cy, bo], nextCursor: null, memberCount: 239 });
    expect(names(container)).toEqual(['Ana (you)', 'Bo', 'Cy']);
    expect(button(container, 'Show more')).toBeUndefined();
    expect(container.querySelector('[role="status"]')?.textContent).toBe(
      '3 listed, as of when asked.',
    );

    act(() => button(container, 'Hide list')?.click());
    expect(names(container)).toEqual([]);
    expect(button(container, "Show who's here")).toBeDefined();
  });

  it('says why a page could not be read, and offers to try again', async () => {
    const fake = fakeClient('count', 240, []);
    const container = render(fake.client);
    act(() => button(container, "Show who's here")?.click());
    await fake.answer(0, fail(ErrorCode.RateLimited, 'slow down'));
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(
      /Could not list who's here/,
    );
    expect(button(container, "Show who's here")?.disabled).toBe(false);
  });

  it('back in members presence, says the list is being updated until it is fetched', () => {
    const fake = fakeClient('count', 240, [bo, ana]);
    const container = render(fake.client);
    act(() =>
      fake.dispatch({
        type: 'room:updated',
        payload: {
          room: ROOM,
          topic: null,
          memberCount: 3,
          visibility: 'public',
          readOnly: false,
          presence: 'members',
        },
      }),
    );
    expect(container.querySelector('h2')?.textContent).toBe('Online — 3');
    expect(container.querySelector('[role="status"]')?.textContent).toMatch(/Updating/);
    act(() =>
      fake.dispatch({
        type: 'membersFetched',
        result: { ok: true, members: [ana, bo, cy], memberCount: 3 },
      }),
    );
    expect(container.querySelector('[role="status"]')).toBeNull();
    expect(names(container)).toEqual(['Ana (you)', 'Bo', 'Cy']);
  });
});
