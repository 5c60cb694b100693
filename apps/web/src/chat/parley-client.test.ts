/**
 * Cases the web app's own message and room tests had (before it used @parley/client) that the
 * library's tests do not make: the web app relies on them, so they are kept here, against the
 * library's functions.
 */
import {
  applyOwnChange,
  contiguousSeq,
  emptyRoom,
  mayPost,
  mergeStored,
  type RoomAction,
  type RoomState,
  roomReducer,
} from '@parley/client';
import type { AckOf, Message, RoomInfo } from '@parley/protocol';
import { describe, expect, it } from 'vitest';

const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
const stored = (seq: number, author = ana): Message => ({
  id: `id${seq}`,
  room: 'secret',
  seq,
  author,
  text: `m${seq}`,
  sentAt: at(seq),
  clientMsgId: `c${seq}`,
});
const edited = (message: Message, text: string): Message => ({
  ...message,
  text,
  editedAt: at(30),
});
const info = (extra: Partial<RoomInfo> = {}): RoomInfo => ({
  name: 'secret',
  topic: null,
  memberCount: 1,
  visibility: 'private',
  readOnly: false,
  presence: 'members',
  lastSeq: 0,
  role: 'owner',
  ...extra,
});
const reduce = (state: RoomState, ...actions: RoomAction[]) => actions.reduce(roomReducer, state);
const joined = (messages: Message[], extra: Partial<RoomInfo> = {}): RoomState => {
  const result: AckOf<'room:join'> = {
    ok: true,
    room: info({ lastSeq: messages.at(-1)?.seq ?? 0, ...extra }),
    messages,
    members: [ana],
    hasMore: false,
    recovered: false,
  };
  return roomReducer(emptyRoom('secret'), { type: 'join', result, me: ana.id });
};

describe('stored entries', () => {
  it('are the truth over what the list had at their seq: an edit, then a tombstone', () => {
    const list = mergeStored(mergeStored([], [stored(1)]), [edited(stored(1), 'from history')]);
    expect(list[0]).toMatchObject({ text: 'from history', editedAt: at(30), key: 'ana:c1' });
    const tombstone = mergeStored(list, [{ ...stored(1), text: '', deleted: true }]);
    expect(tombstone[0]).toMatchObject({ deleted: true, text: '' });
  });

  it("count one's own change, answered with its seq, in the unbroken run a re-join resumes from", () => {
    const list = applyOwnChange(
      mergeStored([], [stored(1), stored(2)]),
      edited(stored(1), 'fixed'),
      3,
      ana,
      at(40),
    );
    expect(contiguousSeq(list)).toBe(3);
  });
});

describe('who may post', () => {
  it('is everyone, unless the room is read-only: then moderators and owners', () => {
    expect(mayPost({ readOnly: false, role: null })).toBe(true);
    expect(mayPost({ readOnly: true, role: null })).toBe(false);
    expect(mayPost({ readOnly: true, role: 'member' })).toBe(false);
    expect(mayPost({ readOnly: true, role: 'moderator' })).toBe(true);
    expect(mayPost({ readOnly: true, role: 'owner' })).toBe(true);
  });

  it('follows the room turning read-only, keeping my role', () => {
    const state = reduce(joined([], { role: 'member' }), {
      type: 'room:updated',
      payload: {
        room: 'secret',
        topic: 'news only',
        memberCount: 3,
        visibility: 'private',
        readOnly: true,
        presence: 'members',
      },
    });
    expect(state.details).toMatchObject({ readOnly: true, topic: 'news only', role: 'member' });
    expect(mayPost(state.details)).toBe(false);
  });

  it('is given to a member made moderator of a read-only room, and taken back', () => {
    const told = (role: 'moderator' | 'member'): RoomAction => ({
      type: 'room:role',
      payload: {
        room: 'secret',
        topic: 'plans',
        memberCount: 2,
        visibility: 'private',
        readOnly: true,
        presence: 'members',
        role,
      },
    });
    const member = joined([stored(1, bo)], { role: 'member', readOnly: true });
    expect(mayPost(member.details)).toBe(false);
    const moderator = reduce(member, told('moderator'));
    expect(mayPost(moderator.details)).toBe(true);
    expect(mayPost(reduce(moderator, told('member')).details)).toBe(false);
  });
});

describe("one's own repeated edit (its answer has no seq for a change)", () => {
  it('leaves what the list held, so an entry after a change it could not see is a gap', () => {
    const state = joined([stored(1), stored(2)]);
    const repeat = reduce(state, {
      type: 'changeAck',
      result: { ok: true, message: stored(1) },
      by: ana,
      now: Date.parse(at(40)),
    });
    expect(repeat).toBe(state);
    // Had the change taken seq 3, only its answer could have said so: a message at 4 finds 3 missing.
    const next = reduce(repeat, { type: 'message:new', payload: stored(4, bo), me: ana.id });
    expect(next.timeline.gaps).toEqual([{ before: 4, limit: 1 }]);
  });
});
