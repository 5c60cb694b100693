import type { Message, RoomInfo } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyJoin,
  emptyRoom,
  mayPost,
  missingBefore,
  withDeletion,
  withEdit,
  withOwnChange,
  withRole,
  withRoomUpdate,
  withStored,
  withTyping,
} from './room-view';

const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const info = (extra: Partial<RoomInfo> = {}): RoomInfo => ({
  name: 'secret',
  topic: null,
  memberCount: 1,
  visibility: 'private',
  readOnly: false,
  lastSeq: 0,
  role: 'owner',
  ...extra,
});
const stored = (seq: number, author = ana): Message => ({
  id: `id${seq}`,
  room: 'secret',
  seq,
  author,
  text: `m${seq}`,
  sentAt: new Date(Date.UTC(2026, 0, 1, 12, seq)).toISOString(),
});
const joined = (messages: Message[], extra: Partial<RoomInfo> = {}) =>
  applyJoin(emptyRoom('secret'), {
    room: info({ lastSeq: messages.at(-1)?.seq ?? 0, ...extra }),
    messages,
    members: [ana],
    hasMore: false,
    recovered: false,
  });

describe('joining', () => {
  it('takes the room as the server describes it: private, read-only, and my role', () => {
    const view = joined([stored(1)], { readOnly: true, role: 'member' });
    expect(view).toMatchObject({ visibility: 'private', readOnly: true, role: 'member' });
    expect(view.joined).toBe(true);
    expect(view.refused).toBeUndefined();
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
    const view = withRoomUpdate(joined([], { role: 'member' }), {
      room: 'secret',
      topic: 'news only',
      memberCount: 3,
      visibility: 'private',
      readOnly: true,
    });
    expect(view).toMatchObject({ readOnly: true, topic: 'news only', role: 'member' });
    expect(mayPost(view)).toBe(false);
  });
});

describe('live changes', () => {
  it('count the change seq as the newest known, so the next message is no gap', () => {
    const edited = withEdit(joined([stored(1), stored(2)]), {
      ...stored(1),
      text: 'fixed',
      editedAt: new Date().toISOString(),
      changeSeq: 3,
    });
    expect(edited.lastSeq).toBe(3);
    expect(edited.messages[0]?.text).toBe('fixed');
    const deleted = withDeletion(edited, { room: 'secret', id: 'id2', seq: 2, changeSeq: 4 });
    expect(deleted.lastSeq).toBe(4);
    expect(deleted.messages[1]).toMatchObject({ deleted: true, text: '' });
  });

  it('stop showing a sender as typing once their message arrives, not on a change by them', () => {
    const typing = withTyping(joined([stored(1)]), bo, true, 0);
    const afterChange = withStored(typing, [
      {
        type: 'change',
        id: 'c2',
        room: 'secret',
        seq: 2,
        action: 'delete',
        message: { ...stored(1), text: '', deleted: true },
        by: bo,
        at: new Date().toISOString(),
      },
    ]);
    expect(afterChange.typing).toHaveLength(1);
    expect(afterChange.lastSeq).toBe(2);
    expect(withStored(afterChange, [stored(3, bo)]).typing).toHaveLength(0);
  });
});

describe('my own edits and deletions', () => {
  // The server skips the acting socket when it announces a change: the answer is all it hears.
  it("take the change's seq from the answer, so my next message shows no gap to fetch", () => {
    const view = joined([stored(1), stored(2, bo)]);
    const edited = withOwnChange(
      view,
      {
        message: { ...stored(1), text: 'fixed', editedAt: new Date().toISOString() },
        changeSeq: 3,
      },
      ana,
    );
    expect(edited.messages.map((m) => [m.seq, m.text, m.hidden])).toEqual([
      [1, 'fixed', undefined],
      [2, 'm2', undefined],
      [3, '', true],
    ]);
    expect(edited.lastSeq).toBe(3);
    expect(missingBefore(edited, 4)).toBeUndefined();

    const deleted = withOwnChange(
      withStored(edited, [stored(4)]),
      { message: { ...stored(4), text: '', deleted: true }, changeSeq: 5 },
      ana,
    );
    expect(deleted.messages.find((m) => m.seq === 4)).toMatchObject({ deleted: true, text: '' });
    expect(missingBefore(deleted, 6)).toBeUndefined();
  });

  it('leave a hole, as before, when the answer has no seq for the change (a repeat)', () => {
    const view = joined([stored(1), stored(2)]);
    const repeat = withOwnChange(view, { message: stored(1) }, ana);
    expect(repeat.messages).toHaveLength(2);
    expect(repeat.lastSeq).toBe(2);
    // Had the change taken seq 3, only its answer could have said so: a message at 4 finds 3 missing.
    expect(missingBefore(repeat, 4)).toEqual({ before: 4, limit: 1 });
  });

  it('still fetch entries missed before the change', () => {
    const view = joined([stored(1), stored(2)]);
    expect(missingBefore(view, 5)).toEqual({ before: 5, limit: 2 });
  });
});

describe('my role, as room:role tells it', () => {
  const told = (role: 'owner' | 'moderator' | 'member', readOnly = true) => ({
    room: 'secret',
    topic: 'plans',
    memberCount: 2,
    visibility: 'private' as const,
    readOnly,
    role,
  });

  it('gives a member made moderator the right to post in a read-only room, and takes it back', () => {
    const member = joined([stored(1, bo)], { role: 'member', readOnly: true });
    expect(mayPost(member)).toBe(false);
    const moderator = withRole(member, told('moderator'));
    expect(moderator).toMatchObject({ role: 'moderator', topic: 'plans', memberCount: 2 });
    expect(mayPost(moderator)).toBe(true);
    expect(mayPost(withRole(moderator, told('member')))).toBe(false);
  });

  it('keeps what the room holds', () => {
    const view = joined([stored(1), stored(2)], { role: 'member' });
    const promoted = withRole(view, told('owner', false));
    expect(promoted.messages).toBe(view.messages);
    expect(promoted.lastSeq).toBe(view.lastSeq);
    expect(promoted.joined).toBe(true);
  });
});
