import type { Message, RoomInfo } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyJoin,
  emptyRoom,
  mayPost,
  withDeletion,
  withEdit,
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
