import { type AckOf, ErrorCode, fail, LIMITS, type Message, membersHash } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  ana,
  at,
  bo,
  change,
  deleted,
  edited,
  info,
  joinAnswer,
  ROOM,
  stored,
} from '../test/fixtures';
import {
  emptyRoom,
  heldMembers,
  mayPost,
  type RoomAction,
  type RoomState,
  roomReducer,
} from './room';
import { localMessage } from './timeline';

const reduce = (state: RoomState, ...actions: RoomAction[]) => actions.reduce(roomReducer, state);
const me = ana.id;
const seqsOf = (state: RoomState) => state.timeline.messages.map((m) => m.seq ?? m.clientMsgId);
const texts = (state: RoomState) =>
  state.timeline.messages.filter((m) => !m.hidden).map((m) => m.text);
const typingOf = (state: RoomState) => state.typing.map((entry) => entry.user.id);
const cy = { id: 'cy', name: 'Cy' };
const pending = localMessage(ana, 'hello', 'p1', at(9));
const T0 = Date.parse(at(10));

const join = (result: AckOf<'room:join'>): RoomAction => ({ type: 'join', result, me });
const fromBo = (seq: number): RoomAction => ({
  type: 'message:new',
  payload: stored(seq, bo),
  me,
});

/** The states a room goes through, each reached by actions from an empty one. */
const states = {
  'not joined': emptyRoom(ROOM),
  joined: reduce(emptyRoom(ROOM), join(joinAnswer([stored(1), stored(2, bo), stored(3)]))),
  active: reduce(emptyRoom(ROOM), join(joinAnswer([stored(1), stored(2, bo), stored(3)])), {
    type: 'focus',
  }),
  'with a gap': reduce(
    emptyRoom(ROOM),
    join(joinAnswer([stored(1), stored(2, bo), stored(3)])),
    fromBo(6),
  ),
  'with a pending message': reduce(
    emptyRoom(ROOM),
    join(joinAnswer([stored(1), stored(2, bo), stored(3)])),
    { type: 'send', message: pending },
  ),
  'bo typing': reduce(
    emptyRoom(ROOM),
    join(joinAnswer([stored(1), stored(2, bo), stored(3)], { members: [ana, bo] })),
    { type: 'typing:changed', payload: { room: ROOM, user: bo, typing: true }, me, now: T0 },
  ),
  removed: reduce(emptyRoom(ROOM), join(joinAnswer([stored(1), stored(2, bo), stored(3)])), {
    type: 'room:removed',
    payload: { room: ROOM, reason: 'banned', until: at(59) },
  }),
  disconnected: reduce(emptyRoom(ROOM), join(joinAnswer([stored(1), stored(2, bo), stored(3)])), {
    type: 'disconnected',
  }),
  'loading older': reduce(
    emptyRoom(ROOM),
    join(joinAnswer([stored(4), stored(5)], { hasMore: true })),
    { type: 'loadingOlder' },
  ),
  refused: reduce(
    emptyRoom(ROOM),
    join(fail(ErrorCode.Forbidden, 'private room', { reason: 'private_room' })),
  ),
  'count presence': reduce(
    emptyRoom(ROOM),
    join(
      joinAnswer([stored(1)], {
        room: info({ lastSeq: 1, presence: 'count', memberCount: 250 }),
        members: [ana, bo],
      }),
    ),
  ),
  'members stale': reduce(
    emptyRoom(ROOM),
    join(
      joinAnswer([stored(1)], {
        room: info({ lastSeq: 1, presence: 'count', memberCount: 250 }),
        members: [ana, bo],
      }),
    ),
    {
      type: 'room:updated',
      payload: {
        room: ROOM,
        topic: null,
        memberCount: 3,
        visibility: 'public',
        readOnly: false,
        presence: 'members',
      },
    },
  ),
} satisfies Record<string, RoomState>;
type From = keyof typeof states;

interface Case {
  from: From;
  action: RoomAction;
  check: (next: RoomState, before: RoomState) => void;
}
const unchanged = (next: RoomState, before: RoomState) => expect(next).toBe(before);

describe('the states the tests start from', () => {
  it('are what their names say', () => {
    expect(states['not joined']).toMatchObject({ joined: false, error: null, removed: null });
    expect(states.joined).toMatchObject({ joined: true, unread: 0, active: false });
    expect(seqsOf(states.joined)).toEqual([1, 2, 3]);
    expect(states['with a gap'].timeline.gaps).toEqual([{ before: 6, limit: 2 }]);
    expect(states.removed.removed).toEqual({ reason: 'banned', until: at(59) });
    expect(states.disconnected.joined).toBe(false);
    expect(states.refused.error?.reason).toBe('private_room');
  });
});

describe('room:join answers', () => {
  const cases: (Case & { name: string })[] = [
    {
      name: 'a first page',
      from: 'not joined',
      action: join(joinAnswer([stored(4), stored(5)], { hasMore: true })),
      check: (next) => {
        expect(next).toMatchObject({ joined: true, error: null });
        expect(seqsOf(next)).toEqual([4, 5]);
        expect(next.timeline).toMatchObject({ lastSeq: 5, hasMore: true, gaps: [] });
        expect(next.members).toEqual([ana]);
      },
    },
    {
      name: 'a recovery (what came after since is appended, the rest kept)',
      from: 'disconnected',
      action: join(
        joinAnswer([stored(4, bo), change(5, edited(stored(1), 'fixed')), stored(6, bo)], {
          recovered: true,
          hasMore: true,
        }),
      ),
      check: (next, before) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(texts(next)).toEqual(['fixed', 'm2', 'm3', 'm4', 'm6']);
        // What was older before the recovery is what it was.
        expect(next.timeline.hasMore).toBe(before.timeline.hasMore);
        expect(next.timeline.messages[1]).toBe(before.timeline.messages[1]);
        // Missed while away and not in view: unread.
        expect(next.unread).toBe(2);
      },
    },
    {
      name: 'a recovery that repeats what is held (no duplicate)',
      from: 'disconnected',
      action: join(joinAnswer([stored(3), stored(4)], { recovered: true })),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
        expect(next.unread).toBe(0);
      },
    },
    {
      name: 'recovered: false (a reset history replaces what was held, unsent stays)',
      from: 'with a pending message',
      action: join(joinAnswer([stored(1, bo, 'other')], { recovered: false })),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 'p1']);
        expect(next.timeline.messages[0]?.author).toEqual(bo);
        expect(next.timeline.lastSeq).toBe(1);
      },
    },
    {
      name: 'a join answer clears the gaps (the join fetched them)',
      from: 'with a gap',
      action: join(joinAnswer([stored(4), stored(5)], { recovered: true })),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(next.timeline.gaps).toEqual([]);
      },
    },
    {
      name: 'a refusal (kept as data)',
      from: 'not joined',
      action: join(fail(ErrorCode.Forbidden, 'banned', { reason: 'banned', until: at(59) })),
      check: (next) => {
        expect(next.joined).toBe(false);
        expect(next.error).toEqual({
          code: 'forbidden',
          message: 'banned',
          reason: 'banned',
          until: at(59),
        });
      },
    },
    {
      name: 'a join after a refusal clears it',
      from: 'refused',
      action: join(joinAnswer([stored(1)], { room: info({ lastSeq: 1, role: 'member' }) })),
      check: (next) => {
        expect(next).toMatchObject({ joined: true, error: null });
        expect(next.details.role).toBe('member');
      },
    },
    {
      name: 'a late answer after the removal is ignored',
      from: 'removed',
      action: join(joinAnswer([stored(9)])),
      check: unchanged,
    },
    {
      name: 'a join of the room in view counts nothing unread',
      from: 'active',
      action: join(joinAnswer([stored(4, bo)], { recovered: true })),
      check: (next) => expect(next.unread).toBe(0),
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });

  it('takes the room as the server describes it: private, read-only, and my role', () => {
    const next = roomReducer(
      emptyRoom(ROOM),
      join(
        joinAnswer([], { room: info({ visibility: 'private', readOnly: true, role: 'member' }) }),
      ),
    );
    expect(next.details).toMatchObject({ visibility: 'private', readOnly: true, role: 'member' });
    expect(mayPost(next.details)).toBe(false);
  });
});

describe('a join answer that is not a recovery, after entries heard while it was on its way', () => {
  // The server lets the socket hear the room before it reads the page: a message:new newer than
  // the page can come before the join's answer, and nothing brings it again.
  const freshJoin = (messages: Message[]) => join(joinAnswer(messages, { recovered: false }));
  /** Of another history than `stored`'s (a restarted server): another id, another text. */
  const other = (seq: number): Message => ({
    ...stored(seq, bo),
    id: `new${seq}`,
    text: `new ${seq}`,
  });

  it('keeps a message:new newer than the page, once, and its seq as lastSeq', () => {
    const next = reduce(
      states['not joined'],
      fromBo(4),
      fromBo(3),
      freshJoin([stored(2), stored(3)]),
    );
    expect(seqsOf(next)).toEqual([2, 3, 4]);
    expect(next.timeline).toMatchObject({ lastSeq: 4, gaps: [], heardWhileJoining: [] });
    expect(next.joined).toBe(true);
  });

  it('keeps them on a re-join that missed too much, with the unsent after them', () => {
    const next = reduce(
      states['with a pending message'],
      { type: 'disconnected' },
      fromBo(9),
      freshJoin([stored(7), stored(8)]),
    );
    expect(seqsOf(next)).toEqual([7, 8, 9, 'p1']);
    expect(next.timeline.lastSeq).toBe(9);
  });

  it('applies a change heard meanwhile to the page it came after', () => {
    const next = reduce(
      states.disconnected,
      { type: 'message:updated', payload: { ...edited(stored(2), 'fixed'), changeSeq: 4 } },
      freshJoin([stored(1), stored(2), stored(3)]),
    );
    expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
    expect(texts(next)).toEqual(['m1', 'fixed', 'm3']);
    expect(next.timeline.lastSeq).toBe(4);
  });

  it('leaves a hole among them as a gap to fetch', () => {
    const next = reduce(states['not joined'], fromBo(6), freshJoin([stored(2), stored(3)]));
    expect(seqsOf(next)).toEqual([2, 3, 6]);
    expect(next.timeline).toMatchObject({ lastSeq: 6, gaps: [{ before: 6, limit: 2 }] });
  });

  it('after a reset history, keeps nothing held from before the join, even at a seq heard again', () => {
    // Held from the old history, 1 to 5, its 3 edited later than the new history's 3 was sent.
    const old = reduce(
      states.joined,
      fromBo(4),
      fromBo(5),
      { type: 'message:updated', payload: { ...edited(stored(3), 'old edit', 50), changeSeq: 6 } },
      { type: 'disconnected' },
    );
    // The restarted server's history: 1 and 2 when the page is read, 3 heard before the answer.
    const next = reduce(
      old,
      { type: 'message:new', payload: other(3), me },
      freshJoin([other(1), other(2)]),
    );
    expect(seqsOf(next)).toEqual([1, 2, 3]);
    expect(texts(next)).toEqual(['new 1', 'new 2', 'new 3']);
    expect(next.timeline.lastSeq).toBe(3);
  });

  it('keeps nothing heard on a connection lost since', () => {
    const next = reduce(
      states.disconnected,
      fromBo(4),
      { type: 'disconnected' },
      freshJoin([other(1)]),
    );
    expect(seqsOf(next)).toEqual([1]);
    expect(next.timeline.lastSeq).toBe(1);
  });
});

describe('entries of the log, live', () => {
  const cases: (Case & { name: string })[] = [
    {
      name: 'message:new (next seq)',
      from: 'joined',
      action: fromBo(4),
      check: (next, before) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
        expect(next.timeline.gaps).toEqual([]);
        expect(next.timeline.lastSeq).toBe(4);
        expect(next.unread).toBe(1);
        // The objects of what did not change are kept.
        expect(next.timeline.messages[0]).toBe(before.timeline.messages[0]);
        expect(next.details).toBe(before.details);
      },
    },
    {
      name: 'message:new of my own (another tab): not unread',
      from: 'joined',
      action: { type: 'message:new', payload: stored(4, ana), me },
      check: (next) => expect(next.unread).toBe(0),
    },
    {
      name: 'message:new in the room in view: not unread',
      from: 'active',
      action: fromBo(4),
      check: (next) => expect(next.unread).toBe(0),
    },
    { name: 'message:new, a duplicate seq', from: 'joined', action: fromBo(2), check: unchanged },
    {
      name: 'message:new that jumps (a gap, kept as data)',
      from: 'joined',
      action: fromBo(7),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 7]);
        expect(next.timeline.gaps).toEqual([{ before: 7, limit: 3 }]);
        expect(next.timeline.lastSeq).toBe(7);
      },
    },
    {
      name: 'message:new, out of order, fills part of the gap',
      from: 'with a gap',
      action: fromBo(5),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 5, 6]);
        expect(next.timeline.gaps).toEqual([{ before: 5, limit: 1 }]);
        expect(next.unread).toBe(2);
      },
    },
    {
      name: 'message:new before the join answered',
      from: 'not joined',
      action: fromBo(4),
      check: (next) => {
        expect(seqsOf(next)).toEqual([4]);
        expect(next.timeline.gaps).toEqual([]);
      },
    },
    {
      name: 'message:new from someone typing stops their typing',
      from: 'bo typing',
      action: fromBo(4),
      check: (next) => expect(next.typing).toEqual([]),
    },
    {
      name: 'message:new after the removal is ignored',
      from: 'removed',
      action: fromBo(4),
      check: unchanged,
    },
    {
      name: 'message:updated (the edit takes its changeSeq)',
      from: 'joined',
      action: {
        type: 'message:updated',
        payload: { ...edited(stored(1), 'fixed'), changeSeq: 4 },
      },
      check: (next) => {
        expect(texts(next)).toEqual(['fixed', 'm2', 'm3']);
        expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
        expect(next.timeline).toMatchObject({ lastSeq: 4, gaps: [] });
        expect(next.unread).toBe(0);
      },
    },
    {
      name: 'message:updated with a jump (a gap before the change)',
      from: 'joined',
      action: {
        type: 'message:updated',
        payload: { ...edited(stored(1), 'fixed'), changeSeq: 6 },
      },
      check: (next) => expect(next.timeline.gaps).toEqual([{ before: 6, limit: 2 }]),
    },
    {
      name: 'message:deleted (a tombstone, and the changeSeq)',
      from: 'joined',
      action: {
        type: 'message:deleted',
        payload: { room: ROOM, id: 'id2', seq: 2, changeSeq: 4 },
        now: T0,
      },
      check: (next) => {
        expect(next.timeline.messages[1]).toMatchObject({ seq: 2, deleted: true, text: '' });
        expect(next.timeline).toMatchObject({ lastSeq: 4, gaps: [] });
      },
    },
    {
      name: 'message:deleted naming another id leaves the message',
      from: 'joined',
      action: {
        type: 'message:deleted',
        payload: { room: ROOM, id: 'not-it', seq: 2, changeSeq: 4 },
        now: T0,
      },
      check: (next) => expect(texts(next)).toEqual(['m1', 'm2', 'm3']),
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });
});

describe('history pages', () => {
  const older = (result: AckOf<'message:history'>): RoomAction => ({
    type: 'history',
    purpose: { kind: 'older' },
    result,
  });
  const cases: (Case & { name: string })[] = [
    {
      name: 'an older page (merged before, hasMore from the page)',
      from: 'loading older',
      action: older({ ok: true, messages: [stored(1), stored(2, bo), stored(3)], hasMore: false }),
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4, 5]);
        expect(next.timeline).toMatchObject({ hasMore: false, loadingOlder: false });
      },
    },
    {
      name: 'an older page that failed stops loading, keeps the rest',
      from: 'loading older',
      action: older(fail(ErrorCode.Unavailable, 'no answer')),
      check: (next, before) => {
        expect(next.timeline.loadingOlder).toBe(false);
        expect(next.timeline.messages).toBe(before.timeline.messages);
      },
    },
    {
      name: 'the page of a gap fills it',
      from: 'with a gap',
      action: {
        type: 'history',
        purpose: { kind: 'gap', gap: { before: 6, limit: 2 } },
        result: { ok: true, messages: [stored(4), stored(5)], hasMore: true },
      },
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(next.timeline.gaps).toEqual([]);
      },
    },
    {
      name: 'an empty page of a gap closes it (nothing more to ask for)',
      from: 'with a gap',
      action: {
        type: 'history',
        purpose: { kind: 'gap', gap: { before: 6, limit: 2 } },
        result: { ok: true, messages: [], hasMore: false },
      },
      check: (next) => expect(next.timeline.gaps).toEqual([]),
    },
    {
      name: 'a failed page of a gap leaves it open (asked again, or recovered by the next join)',
      from: 'with a gap',
      action: {
        type: 'history',
        purpose: { kind: 'gap', gap: { before: 6, limit: 2 } },
        result: fail(ErrorCode.Unavailable, 'no answer'),
      },
      check: unchanged,
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });

  it('a gap wider than a page is fetched page by page', () => {
    const wide = reduce(states.joined, fromBo(3 + LIMITS.historyPageMax + 51));
    const [gap] = wide.timeline.gaps;
    expect(gap).toEqual({ before: 154, limit: 150 });
    if (!gap) return;
    const page = Array.from({ length: LIMITS.historyPageMax }, (_, i) => stored(54 + i, bo));
    const next = roomReducer(wide, {
      type: 'history',
      purpose: { kind: 'gap', gap },
      result: { ok: true, messages: page, hasMore: true },
    });
    expect(next.timeline.gaps).toEqual([{ before: 54, limit: 50 }]);
  });

  it('loadingOlder is said once', () => {
    const loading = states['loading older'];
    expect(loading.timeline.loadingOlder).toBe(true);
    expect(roomReducer(loading, { type: 'loadingOlder' })).toBe(loading);
  });
});

describe("this client's own sends, edits and deletions", () => {
  const cases: (Case & { name: string })[] = [
    {
      name: 'send (pending, after the stored ones)',
      from: 'joined',
      action: { type: 'send', message: pending },
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 'p1']);
        expect(next.timeline.messages.at(-1)?.delivery).toBe('pending');
      },
    },
    {
      name: 'its answer (stored: sent, same key)',
      from: 'with a pending message',
      action: {
        type: 'sendAck',
        key: pending.key,
        result: { ok: true, message: stored(4, ana, 'p1') },
        connected: true,
      },
      check: (next) => {
        expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
        expect(next.timeline.messages.at(-1)).toMatchObject({
          key: pending.key,
          delivery: 'sent',
          seq: 4,
        });
        expect(next.timeline.lastSeq).toBe(4);
      },
    },
    {
      name: 'its answer with a jump (entries missed before it: a gap)',
      from: 'with a pending message',
      action: {
        type: 'sendAck',
        key: pending.key,
        result: { ok: true, message: stored(6, ana, 'p1') },
        connected: true,
      },
      check: (next) => expect(next.timeline.gaps).toEqual([{ before: 6, limit: 2 }]),
    },
    {
      name: 'its answer rate_limited (failed, the error as data)',
      from: 'with a pending message',
      action: {
        type: 'sendAck',
        key: pending.key,
        result: fail(ErrorCode.RateLimited, 'slow down', { retryAfterMs: 1200 }),
        connected: true,
      },
      check: (next) =>
        expect(next.timeline.messages.at(-1)).toMatchObject({
          delivery: 'failed',
          error: { code: 'rate_limited', retryAfterMs: 1200 },
        }),
    },
    {
      name: 'its answer unavailable, disconnected (stays pending)',
      from: 'with a pending message',
      action: {
        type: 'sendAck',
        key: pending.key,
        result: fail(ErrorCode.Unavailable, 'no answer'),
        connected: false,
      },
      check: unchanged,
    },
    {
      name: 'its answer arriving after the message:new of the same message (one copy)',
      from: 'with a pending message',
      action: {
        type: 'sendAck',
        key: pending.key,
        result: { ok: true, message: stored(4, ana, 'p1') },
        connected: true,
      },
      check: (next) => {
        const again = roomReducer(next, {
          type: 'message:new',
          payload: stored(4, ana, 'p1'),
          me,
        });
        expect(again).toBe(next);
      },
    },
    {
      name: 'an own edit answered (the changeSeq is filled: no gap)',
      from: 'joined',
      action: {
        type: 'changeAck',
        result: { ok: true, message: edited(stored(1), 'fixed'), changeSeq: 4 },
        by: ana,
        now: T0,
      },
      check: (next) => {
        expect(texts(next)).toEqual(['fixed', 'm2', 'm3']);
        expect(seqsOf(next)).toEqual([1, 2, 3, 4]);
        expect(next.timeline).toMatchObject({ lastSeq: 4, gaps: [] });
        expect(roomReducer(next, fromBo(5)).timeline.gaps).toEqual([]);
      },
    },
    {
      name: 'an own deletion answered',
      from: 'joined',
      action: {
        type: 'changeAck',
        result: { ok: true, message: deleted(stored(3)), changeSeq: 4 },
        by: ana,
        now: T0,
      },
      check: (next) => {
        expect(next.timeline.messages[2]).toMatchObject({ deleted: true, text: '' });
        expect(next.timeline.lastSeq).toBe(4);
      },
    },
    {
      name: 'a repeated edit (no changeSeq): nothing new',
      from: 'joined',
      action: { type: 'changeAck', result: { ok: true, message: stored(1) }, by: ana, now: T0 },
      check: unchanged,
    },
    {
      name: 'a refused edit changes nothing',
      from: 'joined',
      action: {
        type: 'changeAck',
        result: fail(ErrorCode.Forbidden, 'not yours', { reason: 'not_author' }),
        by: ana,
        now: T0,
      },
      check: unchanged,
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });
});

describe('presence, typing, room changes and live events', () => {
  const typing = (user: typeof bo, on: boolean, now = T0): RoomAction => ({
    type: 'typing:changed',
    payload: { room: ROOM, user, typing: on },
    me,
    now,
  });
  const cases: (Case & { name: string })[] = [
    {
      name: 'presence:joined',
      from: 'joined',
      action: { type: 'presence:joined', payload: { room: ROOM, member: bo } },
      check: (next, before) => {
        expect(next.members).toEqual([ana, bo]);
        expect(next.timeline).toBe(before.timeline);
      },
    },
    {
      name: 'presence:joined of someone present',
      from: 'joined',
      action: { type: 'presence:joined', payload: { room: ROOM, member: ana } },
      check: unchanged,
    },
    {
      name: 'presence:left of someone typing (they stop)',
      from: 'bo typing',
      action: { type: 'presence:left', payload: { room: ROOM, member: bo } },
      check: (next) => {
        expect(next.members).toEqual([ana]);
        expect(next.typing).toEqual([]);
      },
    },
    {
      name: 'presence:left of someone absent',
      from: 'joined',
      action: { type: 'presence:left', payload: { room: ROOM, member: cy } },
      check: unchanged,
    },
    {
      name: 'typing:changed on (until the timeout)',
      from: 'joined',
      action: typing(bo, true),
      check: (next, before) => {
        expect(next.typing).toEqual([{ user: bo, until: T0 + LIMITS.typingTimeoutMs }]);
        // The timeline is the same object: a message list selecting it does not re-render.
        expect(next.timeline).toBe(before.timeline);
      },
    },
    {
      name: 'typing:changed repeated (the timeout moves)',
      from: 'bo typing',
      action: typing(bo, true, T0 + 3000),
      check: (next) => expect(next.typing[0]?.until).toBe(T0 + 3000 + LIMITS.typingTimeoutMs),
    },
    {
      name: 'typing:changed off',
      from: 'bo typing',
      action: typing(bo, false),
      check: (next) => expect(next.typing).toEqual([]),
    },
    {
      name: 'typing:changed of my own (another tab) is not shown',
      from: 'joined',
      action: typing(ana, true),
      check: unchanged,
    },
    {
      name: 'typing expired',
      from: 'bo typing',
      action: { type: 'typingExpired', now: T0 + LIMITS.typingTimeoutMs },
      check: (next) => expect(next.typing).toEqual([]),
    },
    {
      name: 'typing not expired yet',
      from: 'bo typing',
      action: { type: 'typingExpired', now: T0 + LIMITS.typingTimeoutMs - 1 },
      check: unchanged,
    },
    {
      name: 'room:updated',
      from: 'joined',
      action: {
        type: 'room:updated',
        payload: {
          room: ROOM,
          topic: 'news',
          memberCount: 7,
          visibility: 'public',
          readOnly: true,
          presence: 'members',
        },
      },
      check: (next, before) => {
        expect(next.details).toEqual({
          ...before.details,
          topic: 'news',
          memberCount: 7,
          readOnly: true,
        });
        expect(next.timeline).toBe(before.timeline);
      },
    },
    {
      name: 'room:updated with the same figures',
      from: 'joined',
      action: {
        type: 'room:updated',
        payload: {
          room: ROOM,
          topic: null,
          memberCount: 1,
          visibility: 'public',
          readOnly: false,
          presence: 'members',
        },
      },
      check: unchanged,
    },
    {
      name: 'room:updated after the removal (counts still shown)',
      from: 'removed',
      action: {
        type: 'room:updated',
        payload: {
          room: ROOM,
          topic: null,
          memberCount: 4,
          visibility: 'public',
          readOnly: false,
          presence: 'members',
        },
      },
      check: (next) => expect(next.details.memberCount).toBe(4),
    },
    {
      name: 'room:role (my role changes, what the room holds stays)',
      from: 'joined',
      action: {
        type: 'room:role',
        payload: {
          room: ROOM,
          topic: 'plans',
          memberCount: 2,
          visibility: 'private',
          readOnly: true,
          presence: 'members',
          role: 'moderator',
        },
      },
      check: (next, before) => {
        expect(next.details).toEqual({
          topic: 'plans',
          memberCount: 2,
          presence: 'members',
          visibility: 'private',
          readOnly: true,
          role: 'moderator',
        });
        expect(mayPost(next.details)).toBe(true);
        expect(next.timeline).toBe(before.timeline);
        expect(next.joined).toBe(true);
      },
    },
    {
      name: 'room:event (newest of each type first)',
      from: 'joined',
      action: {
        type: 'room:event',
        payload: { room: ROOM, type: 'build.progress', data: { percent: 40 } },
        now: T0,
      },
      check: (next) =>
        expect(next.liveEvents).toEqual([
          { type: 'build.progress', data: { percent: 40 }, receivedAt: T0 },
        ]),
    },
    {
      name: 'room:event after the removal is ignored',
      from: 'removed',
      action: { type: 'room:event', payload: { room: ROOM, type: 'x', data: 1 }, now: T0 },
      check: unchanged,
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });

  it('keeps the newest event of each type, a few types at most', () => {
    let state = states.joined;
    for (const [i, type] of ['a', 'b', 'a', 'c', 'd', 'e', 'f'].entries()) {
      state = roomReducer(state, {
        type: 'room:event',
        payload: { room: ROOM, type, data: i },
        now: T0 + i,
      });
    }
    expect(state.liveEvents.map((event) => [event.type, event.data])).toEqual([
      ['f', 6],
      ['e', 5],
      ['d', 4],
      ['c', 3],
      ['a', 2],
    ]);
  });
});

describe('presence modes: members, count, and the list fetched again', () => {
  const dee = { id: 'dee', name: 'Dee' };
  const updated = (presence: 'members' | 'count', memberCount: number): RoomAction => ({
    type: 'room:updated',
    payload: {
      room: ROOM,
      topic: null,
      memberCount,
      visibility: 'public',
      readOnly: false,
      presence,
    },
  });
  const changed = (left: (typeof ana)[], joined: (typeof ana)[]): RoomAction => ({
    type: 'presence:changed',
    payload: { room: ROOM, left, joined },
  });
  const fetched = (...members: (typeof ana)[]): RoomAction => ({
    type: 'membersFetched',
    result: { ok: true, members, memberCount: members.length },
  });
  const ids = (state: RoomState) => state.members.map((m) => m.id).sort();

  it('the states start as their names say', () => {
    expect(states.joined).toMatchObject({ membersStatus: 'live', membersHeard: {} });
    expect(states.joined.details.presence).toBe('members');
    expect(states['count presence'].details).toMatchObject({ presence: 'count', memberCount: 250 });
    expect(states['count presence'].membersStatus).toBe('sample');
    expect(states['members stale'].membersStatus).toBe('stale');
    expect(states['members stale'].details).toMatchObject({ presence: 'members', memberCount: 3 });
  });

  const cases: (Case & { name: string })[] = [
    {
      name: 'presence:changed (left, then joined; who left stops typing)',
      from: 'bo typing',
      action: changed([bo], [cy, dee]),
      check: (next) => {
        expect(next.members).toEqual([ana, cy, dee]);
        expect(next.typing).toEqual([]);
        expect(next.membersStatus).toBe('live');
      },
    },
    {
      name: 'presence:changed of someone in both lists (joined wins: where they ended up)',
      from: 'joined',
      action: changed([bo], [bo]),
      check: (next) => expect(next.members).toEqual([ana, bo]),
    },
    {
      name: 'presence:changed that changes nothing (present joins, absent leaves)',
      from: 'joined',
      action: changed([cy], [ana]),
      check: unchanged,
    },
    {
      name: 'presence:changed, empty',
      from: 'joined',
      action: changed([], []),
      check: unchanged,
    },
    {
      name: 'a join answer in count presence (a sample; the count is everyone)',
      from: 'joined',
      action: join(
        joinAnswer([stored(1)], {
          room: info({ lastSeq: 1, presence: 'count', memberCount: 500 }),
          members: [bo, cy],
        }),
      ),
      check: (next) => {
        expect(next.members).toEqual([bo, cy]);
        expect(next.membersStatus).toBe('sample');
        expect(next.details).toMatchObject({ presence: 'count', memberCount: 500 });
      },
    },
    {
      name: 'a join answer in members presence ends a stale list',
      from: 'members stale',
      action: join(joinAnswer([stored(1)], { members: [ana, cy] })),
      check: (next) => {
        expect(next.members).toEqual([ana, cy]);
        expect(next).toMatchObject({ membersStatus: 'live', membersHeard: {} });
      },
    },
    {
      name: 'room:updated to count (the list becomes a sample, kept as it was)',
      from: 'joined',
      action: updated('count', 101),
      check: (next, before) => {
        expect(next.membersStatus).toBe('sample');
        expect(next.members).toBe(before.members);
        expect(next.details).toMatchObject({ presence: 'count', memberCount: 101 });
      },
    },
    {
      name: 'room:updated in count (the count follows)',
      from: 'count presence',
      action: updated('count', 260),
      check: (next, before) => {
        expect(next.details.memberCount).toBe(260);
        expect(next.membersStatus).toBe('sample');
        expect(next.members).toBe(before.members);
      },
    },
    {
      name: 'room:updated from count back to members (the list is stale)',
      from: 'count presence',
      action: updated('members', 90),
      check: (next) => {
        expect(next).toMatchObject({ membersStatus: 'stale', membersHeard: {} });
        expect(next.details).toMatchObject({ presence: 'members', memberCount: 90 });
      },
    },
    {
      name: 'room:updated in members while stale (still stale)',
      from: 'members stale',
      action: updated('members', 4),
      check: (next) => {
        expect(next.membersStatus).toBe('stale');
        expect(next.details.memberCount).toBe(4);
      },
    },
    {
      name: 'room:updated back to count while stale (a sample again)',
      from: 'members stale',
      action: updated('count', 150),
      check: (next) => expect(next).toMatchObject({ membersStatus: 'sample', membersHeard: {} }),
    },
    {
      name: 'room:role says count presence too',
      from: 'joined',
      action: {
        type: 'room:role',
        payload: {
          room: ROOM,
          topic: null,
          memberCount: 300,
          visibility: 'public',
          readOnly: false,
          presence: 'count',
          role: 'member',
        },
      },
      check: (next) => {
        expect(next.membersStatus).toBe('sample');
        expect(next.details).toMatchObject({ presence: 'count', role: 'member' });
      },
    },
    {
      name: 'presence:left in count presence (leaves the sample; the count is the server’s)',
      from: 'count presence',
      action: { type: 'presence:left', payload: { room: ROOM, member: bo } },
      check: (next) => {
        expect(next.members).toEqual([ana]);
        expect(next.membersStatus).toBe('sample');
        expect(next.details.memberCount).toBe(250);
      },
    },
    {
      name: 'presence:changed in count presence (still a sample of who is here)',
      from: 'count presence',
      action: changed([ana], [cy]),
      check: (next) => {
        expect(ids(next)).toEqual(['bo', 'cy']);
        expect(next.membersStatus).toBe('sample');
        expect(next.membersHeard).toEqual({});
      },
    },
    {
      name: 'presence events while stale are applied, and kept for the fetched list',
      from: 'members stale',
      action: changed([bo], [cy]),
      check: (next) => {
        expect(ids(next)).toEqual(['ana', 'cy']);
        expect(next.membersHeard).toEqual({
          bo: { member: bo, present: false },
          cy: { member: cy, present: true },
        });
      },
    },
    {
      name: 'the list fetched again (live, what was heard meanwhile on top)',
      from: 'members stale',
      action: fetched(ana, bo, dee),
      check: (next) => {
        expect(next.members).toEqual([ana, bo, dee]);
        expect(next).toMatchObject({ membersStatus: 'live', membersHeard: {} });
        const heardFirst = reduce(
          states['members stale'],
          changed([bo], [cy]),
          // Read before Cy came and Bo went: what was heard wins.
          fetched(ana, bo, dee),
        );
        expect(ids(heardFirst)).toEqual(['ana', 'cy', 'dee']);
        expect(heardFirst.membersStatus).toBe('live');
      },
    },
    {
      name: 'a list fetched when it is no longer stale is not used',
      from: 'count presence',
      action: fetched(ana),
      check: unchanged,
    },
    {
      name: 'a failed fetch leaves the list stale',
      from: 'members stale',
      action: {
        type: 'membersFetched',
        result: fail(ErrorCode.NotJoined, 'not in the room'),
      },
      check: unchanged,
    },
    {
      name: 'a fetched list after the removal is not used',
      from: 'removed',
      action: fetched(ana),
      check: unchanged,
    },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });
});

describe('removal, disconnection, focus and reopening', () => {
  const cases: (Case & { name: string })[] = [
    {
      name: 'room:removed',
      from: 'bo typing',
      action: { type: 'room:removed', payload: { room: ROOM, reason: 'removed' } },
      check: (next, before) => {
        expect(next).toMatchObject({ joined: false, removed: { reason: 'removed' }, typing: [] });
        expect(next.timeline.messages).toBe(before.timeline.messages);
      },
    },
    {
      name: 'disconnected (not joined, typing cleared)',
      from: 'bo typing',
      action: { type: 'disconnected' },
      check: (next, before) => {
        expect(next).toMatchObject({ joined: false, typing: [] });
        expect(next.timeline).toBe(before.timeline);
      },
    },
    {
      name: 'disconnected while loading older (loading stops)',
      from: 'loading older',
      action: { type: 'disconnected' },
      check: (next) => expect(next.timeline.loadingOlder).toBe(false),
    },
    {
      name: 'disconnected again',
      from: 'disconnected',
      action: { type: 'disconnected' },
      check: unchanged,
    },
    {
      name: 'open after a removal (wanted again: the join says whether that holds)',
      from: 'removed',
      action: { type: 'open' },
      check: (next) => expect(next).toMatchObject({ removed: null, error: null }),
    },
    {
      name: 'open after a refusal',
      from: 'refused',
      action: { type: 'open' },
      check: (next) => expect(next.error).toBeNull(),
    },
    {
      name: 'open when nothing stands in the way',
      from: 'joined',
      action: { type: 'open' },
      check: unchanged,
    },
    {
      name: 'focus (read: unread goes to 0)',
      from: 'joined',
      action: { type: 'focus' },
      check: (next) => expect(next).toMatchObject({ active: true, unread: 0 }),
    },
    { name: 'focus again', from: 'active', action: { type: 'focus' }, check: unchanged },
    {
      name: 'blur',
      from: 'active',
      action: { type: 'blur' },
      check: (next) => expect(next.active).toBe(false),
    },
    { name: 'blur when not in view', from: 'joined', action: { type: 'blur' }, check: unchanged },
  ];
  it.each(cases)('$from + $name', ({ from, action, check }) => {
    const before = states[from];
    check(roomReducer(before, action), before);
  });

  it('counts unread messages until the room is in view', () => {
    const state = reduce(states.joined, fromBo(4), fromBo(5), fromBo(5));
    expect(state.unread).toBe(2);
    expect(roomReducer(state, { type: 'focus' }).unread).toBe(0);
  });

  it('stops showing a sender as typing once their message arrives, not on a change by them', () => {
    const state = states['bo typing'];
    const afterChange = roomReducer(state, {
      type: 'message:updated',
      payload: { ...edited(stored(2, bo), 'x'), changeSeq: 4 },
    });
    expect(typingOf(afterChange)).toEqual(['bo']);
    expect(typingOf(roomReducer(afterChange, fromBo(5)))).toEqual([]);
  });
});

describe('a re-join that says which member list it holds', () => {
  const held = reduce(
    emptyRoom(ROOM),
    join(joinAnswer([stored(1), stored(2, bo)], { members: [ana, bo] })),
    { type: 'disconnected' },
  );

  it('sends the hash of a live list, and nothing for a sample, a stale list or none', () => {
    expect(heldMembers(held)).toEqual({ membersHash: membersHash([bo, ana]) });
    expect(heldMembers({ ...held, membersStatus: 'sample' })).toEqual({});
    expect(heldMembers({ ...held, membersStatus: 'stale' })).toEqual({});
    expect(heldMembers(emptyRoom(ROOM))).toEqual({});
  });

  const unchanged = (membersHash?: string): RoomAction => ({
    type: 'join',
    result: joinAnswer([stored(3, bo)], { members: [], membersUnchanged: true, recovered: true }),
    me,
    membersHash,
  });

  it('keeps the list it holds when the answer leaves it out', () => {
    const next = reduce(held, unchanged(heldMembers(held).membersHash));
    expect(next.members).toBe(held.members);
    expect(next).toMatchObject({ joined: true, membersStatus: 'live' });
    expect(texts(next)).toContain(stored(3, bo).text);
  });

  it('fetches the list again when the one held is not the one the join named', () => {
    // Opened again while the join was on its way (an empty room state), or a list that changed.
    for (const [state, sent] of [
      [emptyRoom(ROOM), heldMembers(held).membersHash],
      [held, membersHash([ana])],
      [held, undefined],
    ] as const) {
      const next = reduce(state, unchanged(sent));
      expect(next).toMatchObject({ joined: true, membersStatus: 'stale' });
      expect(next.members).toBe(state.members);
    }
  });

  it('takes the list the answer brings otherwise', () => {
    const next = reduce(held, join(joinAnswer([], { members: [cy], recovered: true })));
    expect(next.members).toEqual([cy]);
  });
});
