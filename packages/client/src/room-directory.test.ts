import { ErrorCode, LIMITS, type RoomSummary } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  emptyDirectory,
  firstPage,
  knownUnlisted,
  nextPage,
  pageArrived,
  pageFailed,
  pagePayload,
  ROOM_PAGE_SIZE,
  type RoomDirectory,
  roomGone,
  roomUpdated,
  searchPrefix,
} from './room-directory';

const room = (name: string, memberCount = 0, topic: string | null = null): RoomSummary => ({
  name,
  topic,
  memberCount,
  visibility: 'public',
  readOnly: false,
});
const names = (directory: RoomDirectory) => directory.shown?.rooms.map((r) => r.name);

/** A directory showing `rooms` for `prefix`, as if their first page had just arrived. */
function showing(prefix: string, rooms: RoomSummary[], nextCursor: string | null) {
  const { directory, page } = firstPage(emptyDirectory(), prefix);
  return pageArrived(directory, page.id, { rooms, nextCursor });
}

describe('searchPrefix', () => {
  it('keeps what a room name can start with, lowercased', () => {
    expect(searchPrefix('Design')).toBe('design');
    expect(searchPrefix(' team_A-1 ')).toBe('team_a-1');
    expect(searchPrefix('café #2!')).toBe('caf2');
    expect(searchPrefix('한국어')).toBe('');
    expect(searchPrefix('x'.repeat(80))).toHaveLength(64);
  });
});

describe('paging', () => {
  it('asks for the first page of a search, then the pages after it, within the search', () => {
    const asked = firstPage(emptyDirectory(), 'de');
    expect(pagePayload(asked.page)).toEqual({ limit: ROOM_PAGE_SIZE, prefix: 'de' });
    let directory = pageArrived(asked.directory, asked.page.id, {
      rooms: [room('deploy'), room('design')],
      nextCursor: 'design',
    });
    expect(names(directory)).toEqual(['deploy', 'design']);

    const more = nextPage(directory);
    expect(more && pagePayload(more.page)).toEqual({
      limit: ROOM_PAGE_SIZE,
      prefix: 'de',
      cursor: 'design',
    });
    if (!more) return;
    directory = pageArrived(more.directory, more.page.id, {
      rooms: [room('dev')],
      nextCursor: null,
    });
    expect(names(directory)).toEqual(['deploy', 'design', 'dev']);
    expect(directory.shown?.nextCursor).toBeNull();
    expect(nextPage(directory)).toBeNull();
  });

  it('asks for every room without a prefix, in pages the protocol allows', () => {
    expect(pagePayload(firstPage(emptyDirectory(), '').page)).toEqual({ limit: ROOM_PAGE_SIZE });
    expect(ROOM_PAGE_SIZE).toBeLessThanOrEqual(LIMITS.roomListPageMax);
  });

  it('replaces the rooms shown with a new search when its answer arrives, not before', () => {
    const before = showing('', [room('alpha'), room('beta')], 'beta');
    const asked = firstPage(before, 'be');
    expect(names(asked.directory)).toEqual(['alpha', 'beta']);
    const after = pageArrived(asked.directory, asked.page.id, {
      rooms: [room('beta')],
      nextCursor: null,
    });
    expect(after.shown).toEqual({ prefix: 'be', rooms: [room('beta')], nextCursor: null });
  });

  it('drops an answer to a search typed over since', () => {
    const first = firstPage(emptyDirectory(), 'a');
    const second = firstPage(first.directory, 'al');
    const stale = pageArrived(second.directory, first.page.id, {
      rooms: [room('apple')],
      nextCursor: null,
    });
    expect(stale).toBe(second.directory);
    const fresh = pageArrived(stale, second.page.id, {
      rooms: [room('alpha')],
      nextCursor: null,
    });
    expect(fresh.shown?.prefix).toBe('al');
    expect(names(fresh)).toEqual(['alpha']);
  });

  it('drops a next page when a search (or a refresh after a reconnect) started meanwhile', () => {
    const shown = showing('', [room('a')], 'a');
    const more = nextPage(shown);
    if (!more) throw new Error('expected a next page');
    const refresh = firstPage(more.directory, '');
    expect(
      pageArrived(refresh.directory, more.page.id, { rooms: [room('b')], nextCursor: null }),
    ).toBe(refresh.directory);
  });

  it('asks for one next page at a time', () => {
    const more = nextPage(showing('', [room('a')], 'a'));
    expect(more && nextPage(more.directory)).toBeNull();
  });

  it('keeps the rooms shown and says why when a page fails, and clears it with the next page', () => {
    const shown = showing('', [room('a')], 'a');
    const more = nextPage(shown);
    if (!more) throw new Error('expected a next page');
    const busy = { code: ErrorCode.RateLimited, message: 'slow down', retryAfterMs: 1000 };
    const failed = pageFailed(more.directory, more.page.id, busy);
    expect(failed.error).toEqual(busy);
    expect(failed.pending).toBeNull();
    expect(names(failed)).toEqual(['a']);
    const again = nextPage(failed);
    if (!again) throw new Error('expected to ask again');
    const arrived = pageArrived(again.directory, again.page.id, {
      rooms: [room('b')],
      nextCursor: null,
    });
    expect(arrived.error).toBeNull();
    expect(names(arrived)).toEqual(['a', 'b']);
  });
});

describe('roomUpdated', () => {
  it('updates the count and topic of a room shown, in place', () => {
    const shown = showing('', [room('a', 1), room('b', 2)], null);
    const updated = roomUpdated(shown, room('b', 5, 'Standup'));
    expect(updated.shown?.rooms).toEqual([room('a', 1), room('b', 5, 'Standup')]);
  });

  it('shows a room turning read-only', () => {
    const shown = showing('', [room('news', 1)], null);
    const updated = roomUpdated(shown, { ...room('news', 1), readOnly: true });
    expect(updated.shown?.rooms[0]?.readOnly).toBe(true);
  });

  it('answers the same directory when nothing shown changes', () => {
    const shown = showing('', [room('a', 1)], 'a');
    expect(roomUpdated(shown, room('a', 1))).toBe(shown);
    expect(roomUpdated(shown, room('zulu', 3))).toBe(shown);
  });

  it('adds a new room that matches the search and falls among the pages shown, by name', () => {
    const shown = showing('de', [room('deploy'), room('dev')], 'dev');
    expect(names(roomUpdated(shown, room('design', 1)))).toEqual(['deploy', 'design', 'dev']);
  });

  it('leaves out rooms of other searches and rooms a later page will bring', () => {
    const shown = showing('de', [room('deploy'), room('dev')], 'dev');
    expect(names(roomUpdated(shown, room('alpha', 1)))).toEqual(['deploy', 'dev']);
    expect(names(roomUpdated(shown, room('devops', 1)))).toEqual(['deploy', 'dev']);
    // On the last page every later match belongs to the list.
    const last = showing('de', [room('deploy'), room('dev')], null);
    expect(names(roomUpdated(last, room('devops', 1)))).toEqual(['deploy', 'dev', 'devops']);
  });

  it('orders names as the server does, by code unit', () => {
    const shown = showing('', [room('a-b'), room('a_b')], null);
    expect(names(roomUpdated(shown, room('a0', 1)))).toEqual(['a-b', 'a0', 'a_b']);
  });

  it('applies what it heard while a page was coming over that page, which may be older', () => {
    const asked = firstPage(showing('', [room('beta', 1)], null), 'be');
    let directory = roomUpdated(asked.directory, room('beta', 3));
    directory = roomUpdated(directory, room('bell', 1));
    directory = roomUpdated(directory, room('beta', 4));
    directory = roomUpdated(directory, room('alpha', 2));
    // The rooms still shown are the old search's, kept live meanwhile.
    expect(directory.shown?.rooms).toEqual([room('alpha', 2), room('bell', 1), room('beta', 4)]);
    const arrived = pageArrived(directory, asked.page.id, {
      rooms: [room('beta', 2), room('bet')],
      nextCursor: null,
    });
    expect(arrived.shown?.rooms).toEqual([room('bell', 1), room('bet'), room('beta', 4)]);
    expect(arrived.heard).toEqual([]);
  });
});

describe('roomGone', () => {
  it('drops a room no longer listed for this user, and nothing else', () => {
    const shown = showing('', [room('a'), { ...room('secret'), visibility: 'private' }], null);
    expect(names(roomGone(shown, 'secret'))).toEqual(['a']);
    expect(roomGone(shown, 'elsewhere')).toBe(shown);
  });
});

describe('knownUnlisted', () => {
  it('tells a room the pages shown would hold but do not, from one they cannot tell about', () => {
    const whole = showing('', [room('general')], null);
    expect(knownUnlisted(whole, 'secret')).toBe(true);
    expect(knownUnlisted(whole, 'general')).toBe(false);
    // Beyond the pages read, or outside the search: nothing is known.
    expect(knownUnlisted(showing('', [room('alpha')], 'alpha'), 'secret')).toBe(false);
    expect(knownUnlisted(showing('de', [room('design')], null), 'secret')).toBe(false);
    expect(knownUnlisted(emptyDirectory(), 'secret')).toBe(false);
  });

  it('lists a private room once this user is added to it, with its lock', () => {
    const whole = showing('', [room('general')], null);
    const added = roomUpdated(whole, { ...room('secret', 1), visibility: 'private' });
    expect(names(added)).toEqual(['general', 'secret']);
    expect(added.shown?.rooms[1]?.visibility).toBe('private');
    expect(knownUnlisted(added, 'secret')).toBe(false);
  });
});
