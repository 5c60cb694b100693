import { ErrorCode, fail, type Member } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ana, bo } from '../test/fixtures';
import {
  emptyPresencePages,
  mayLoadMore,
  nextPageRequest,
  PRESENCE_REFETCH_JITTER_MS,
  type PresencePage,
  type PresencePages,
  type PresencePagesAction,
  presenceEffect,
  presencePagesReducer,
  refetchDelay,
  walkPresence,
} from './presence';
import type { MembersStatus } from './room';

const cy: Member = { id: 'cy', name: 'Cy' };
const dee: Member = { id: 'dee', name: 'Dee' };
const page = (
  members: Member[],
  nextCursor: string | null,
  memberCount = 4,
): Extract<PresencePage, { ok: true }> => ({ ok: true, members, nextCursor, memberCount });

describe('presenceEffect: what a change of the list status asks for', () => {
  const half = () => 0.5;
  const cases: { before: MembersStatus; after: MembersStatus; effect: unknown }[] = [
    { before: 'sample', after: 'stale', effect: { type: 'refetch', delayMs: 500 } },
    { before: 'live', after: 'stale', effect: { type: 'refetch', delayMs: 500 } },
    { before: 'stale', after: 'sample', effect: { type: 'cancelRefetch' } },
    { before: 'stale', after: 'live', effect: { type: 'cancelRefetch' } },
    { before: 'stale', after: 'stale', effect: null },
    { before: 'live', after: 'sample', effect: null },
    { before: 'sample', after: 'live', effect: null },
    { before: 'live', after: 'live', effect: null },
  ];
  it.each(cases)('$before → $after', ({ before, after, effect }) => {
    expect(presenceEffect({ membersStatus: before }, { membersStatus: after }, half)).toEqual(
      effect,
    );
  });

  it('waits a random 0-1 s', () => {
    expect(refetchDelay(() => 0)).toBe(0);
    expect(refetchDelay(() => 0.25)).toBe(250);
    expect(refetchDelay(() => 0.9999999)).toBe(PRESENCE_REFETCH_JITTER_MS - 1);
    // A source out of bounds still gives a delay within them.
    expect(refetchDelay(() => 1)).toBe(PRESENCE_REFETCH_JITTER_MS - 1);
    expect(refetchDelay(() => -3)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const delay = refetchDelay();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(PRESENCE_REFETCH_JITTER_MS);
    }
  });
});

describe('walkPresence: every page of presence:list', () => {
  it('follows nextCursor to the last page, keyed by id', async () => {
    const asked: unknown[] = [];
    const pages: Record<string, PresencePage> = {
      first: page([ana, bo], 'c1'),
      c1: page([bo, cy], 'c2'),
      c2: page([dee], null, 4),
    };
    const result = await walkPresence(async (request) => {
      asked.push(request);
      return pages[request.cursor ?? 'first'] as PresencePage;
    });
    expect(result).toEqual({ ok: true, members: [ana, bo, cy, dee], memberCount: 4 });
    expect(asked).toEqual([
      { limit: 100 },
      { cursor: 'c1', limit: 100 },
      { cursor: 'c2', limit: 100 },
    ]);
  });

  it('answers the first failure', async () => {
    const failure = fail(ErrorCode.NotJoined, 'not in the room');
    const result = await walkPresence(async (request) =>
      request.cursor ? failure : page([ana], 'c1'),
    );
    expect(result).toEqual(failure);
  });

  it('gives up after the most pages it walks', async () => {
    let calls = 0;
    const result = await walkPresence(
      async () => {
        calls++;
        return page([ana], `c${calls}`);
      },
      { maxPages: 3 },
    );
    expect(calls).toBe(3);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

describe('presence pages on demand', () => {
  const states = {
    empty: emptyPresencePages(),
    loading: presencePagesReducer(emptyPresencePages(), { type: 'loading' }),
    'one page': presencePagesReducer(emptyPresencePages(), {
      type: 'page',
      result: page([ana, bo], 'c1', 3),
    }),
    done: presencePagesReducer(emptyPresencePages(), {
      type: 'page',
      result: page([ana], null, 1),
    }),
  } satisfies Record<string, PresencePages>;

  const cases: {
    from: keyof typeof states;
    name: string;
    action: PresencePagesAction;
    check: (next: PresencePages, before: PresencePages) => void;
  }[] = [
    {
      from: 'empty',
      name: 'loading',
      action: { type: 'loading' },
      check: (next) => {
        expect(next).toMatchObject({ loading: true, started: false });
        expect(mayLoadMore(next)).toBe(false);
      },
    },
    {
      from: 'loading',
      name: 'a first page',
      action: { type: 'page', result: page([ana, bo], 'c1', 3) },
      check: (next) => {
        expect(next).toEqual({
          members: [ana, bo],
          nextCursor: 'c1',
          memberCount: 3,
          started: true,
          done: false,
          loading: false,
          error: null,
        });
        expect(mayLoadMore(next)).toBe(true);
        expect(nextPageRequest(next, 20)).toEqual({ cursor: 'c1', limit: 20 });
      },
    },
    {
      from: 'one page',
      name: 'the last page (a duplicate listed once)',
      action: { type: 'page', result: page([bo, cy], null, 3) },
      check: (next) => {
        expect(next.members).toEqual([ana, bo, cy]);
        expect(next).toMatchObject({ done: true, nextCursor: null, memberCount: 3 });
        expect(mayLoadMore(next)).toBe(false);
      },
    },
    {
      from: 'one page',
      name: 'a failed page (the error as data; the pages so far stay)',
      action: { type: 'page', result: fail(ErrorCode.RateLimited, 'slow down') },
      check: (next, before) => {
        expect(next.members).toBe(before.members);
        expect(next).toMatchObject({ loading: false, error: { code: 'rate_limited' } });
        expect(mayLoadMore(next)).toBe(true);
        expect(nextPageRequest(next)).toEqual({ cursor: 'c1' });
      },
    },
    {
      from: 'done',
      name: 'loading after the last page',
      action: { type: 'loading' },
      check: (next, before) => expect(next).toBe(before),
    },
    {
      from: 'one page',
      name: 'reset',
      action: { type: 'reset' },
      check: (next) => {
        expect(next).toEqual(emptyPresencePages());
        expect(nextPageRequest(next)).toEqual({});
      },
    },
    {
      from: 'empty',
      name: 'reset of nothing',
      action: { type: 'reset' },
      check: (next, before) => expect(next).toBe(before),
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(presencePagesReducer(before, action), before);
  });
});
