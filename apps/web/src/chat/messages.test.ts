import type { Message, MessageChange } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyDeletion,
  applyEdit,
  applyOwnChange,
  type ChatMessage,
  contiguousSeq,
  gapBefore,
  groupByAuthor,
  keepUnsent,
  localMessage,
  mergeStored,
  resumePoint,
  updateLocal,
  visibleMessages,
} from './messages';

const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

function stored(
  seq: number,
  author = ana,
  clientMsgId: string | undefined = `c${seq}`,
  minute = seq,
): Message {
  return {
    id: `id${seq}`,
    room: 'general',
    seq,
    author,
    text: `m${seq}`,
    sentAt: at(minute),
    clientMsgId,
  };
}
const seqs = (list: ChatMessage[]) => list.map((m) => m.seq ?? m.clientMsgId);

/** The change entry at `seq` that made `message` what it is now. */
function change(seq: number, message: Message, action: 'edit' | 'delete' = 'edit'): MessageChange {
  return {
    type: 'change',
    id: `change${seq}`,
    room: message.room,
    seq,
    action,
    message,
    by: message.author,
    at: at(seq),
  };
}
const edited = (message: Message, text: string, minute = 30): Message => ({
  ...message,
  text,
  editedAt: at(minute),
});
const deleted = (message: Message): Message => ({ ...message, text: '', deleted: true });

describe('mergeStored', () => {
  it('keeps stored messages in seq order whatever order they arrive in', () => {
    const list = mergeStored(mergeStored([], [stored(3), stored(1)]), [stored(2)]);
    expect(seqs(list)).toEqual([1, 2, 3]);
  });

  it('never shows a seq twice (the join answer and message:new may both carry it)', () => {
    const list = mergeStored(mergeStored([], [stored(1), stored(2)]), [stored(2), stored(1)]);
    expect(seqs(list)).toEqual([1, 2]);
  });

  it('replaces the pending copy with the stored one, by author and clientMsgId', () => {
    const pending = localMessage(ana, 'hello', 'x1');
    const list = mergeStored([pending], [stored(7, ana, 'x1')]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ seq: 7, delivery: 'sent', key: pending.key });
  });

  it("does not confuse another author's message with the same clientMsgId", () => {
    const pending = localMessage(ana, 'hello', 'same');
    const list = mergeStored([pending], [stored(1, bo, 'same')]);
    expect(seqs(list)).toEqual([1, 'same']);
    expect(list[1]?.delivery).toBe('pending');
  });

  it('keeps local messages after the stored ones, in the order they were written', () => {
    const list = mergeStored(
      [localMessage(ana, 'a', 'p1'), localMessage(ana, 'b', 'p2')],
      [stored(1, bo)],
    );
    expect(seqs(list)).toEqual([1, 'p1', 'p2']);
  });
});

describe('edits and deletions in the log', () => {
  it('applies a change entry to the message it names and keeps its seq as a hidden entry', () => {
    const list = mergeStored(mergeStored([], [stored(1), stored(2)]), [
      change(3, edited(stored(1), 'fixed')),
    ]);
    expect(seqs(list)).toEqual([1, 2, 3]);
    expect(list[0]).toMatchObject({ text: 'fixed', editedAt: at(30), key: 'ana:c1' });
    expect(list[2]).toMatchObject({ hidden: true, id: 'change3' });
    expect(visibleMessages(list).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('turns a deleted message into a tombstone without text', () => {
    const list = mergeStored(mergeStored([], [stored(1)]), [
      change(2, deleted(stored(1)), 'delete'),
    ]);
    expect(list[0]).toMatchObject({ seq: 1, deleted: true, text: '' });
  });

  it('counts change entries as present, so no gap is seen and since resumes after them', () => {
    const list = mergeStored([], [stored(1), stored(2), change(3, edited(stored(2), 'x'))]);
    expect(contiguousSeq(list)).toBe(3);
    expect(gapBefore(list, 4, 3, 100)).toBeUndefined();
    expect(resumePoint(list)).toEqual({ since: 3, sinceId: 'change3' });
  });

  it('takes stored messages as the truth over what the list had at their seq', () => {
    const list = mergeStored(mergeStored([], [stored(1)]), [edited(stored(1), 'from history')]);
    expect(list[0]).toMatchObject({ text: 'from history', editedAt: at(30) });
    const tombstone = mergeStored(list, [deleted(stored(1))]);
    expect(tombstone[0]).toMatchObject({ deleted: true, text: '' });
  });

  it('keeps a newer copy when an older answer arrives after a live change', () => {
    const gone = applyDeletion(mergeStored([], [stored(1)]), { id: 'id1', seq: 1, changeSeq: 2 });
    expect(mergeStored(gone, [stored(1)])[0]).toMatchObject({ deleted: true, text: '' });
    const late = applyEdit(mergeStored([], [stored(1)]), edited(stored(1), 'second', 40), 2);
    expect(mergeStored(late, [edited(stored(1), 'first', 35)])[0]?.text).toBe('second');
  });

  it('ignores a change of a message older than the list holds, but keeps its seq', () => {
    const list = mergeStored(mergeStored([], [stored(10)]), [change(11, edited(stored(3), 'old'))]);
    expect(seqs(list)).toEqual([10, 11]);
    expect(visibleMessages(list).map((m) => m.text)).toEqual(['m10']);
  });
});

describe('live edits and deletions', () => {
  it('show the new text in place and take the change seq', () => {
    const list = applyEdit(mergeStored([], [stored(1), stored(2)]), edited(stored(1), 'new'), 3);
    expect(list.map((m) => m.text)).toEqual(['new', 'm2', '']);
    expect(list[2]).toMatchObject({ seq: 3, hidden: true });
    expect(list[2]?.id).toBeUndefined();
    expect(contiguousSeq(list)).toBe(3);
  });

  it('show a tombstone in place of the deleted message, checked by id', () => {
    const list = mergeStored([], [stored(1), stored(2)]);
    const gone = applyDeletion(list, { id: 'id2', seq: 2, changeSeq: 3 });
    expect(gone[1]).toMatchObject({ seq: 2, deleted: true, text: '' });
    const wrongId = applyDeletion(list, { id: 'other', seq: 2, changeSeq: 3 });
    expect(wrongId[1]).toMatchObject({ seq: 2, text: 'm2' });
  });

  it('keep local messages last and do not replace a change entry already known', () => {
    const list = mergeStored(
      [localMessage(ana, 'unsent', 'u')],
      [stored(1), change(2, edited(stored(1), 'x'))],
    );
    const again = applyEdit(list, edited(stored(1), 'x'), 2);
    expect(seqs(again)).toEqual([1, 2, 'u']);
    expect(again[1]?.id).toBe('change2');
  });

  it('resume a re-join from the newest entry whose id is known', () => {
    const list = applyEdit(mergeStored([], [stored(1), stored(2)]), edited(stored(1), 'new'), 3);
    expect(resumePoint(list)).toEqual({ since: 2, sinceId: 'id2' });
    expect(resumePoint([])).toBeUndefined();
  });
});

describe("one's own edits and deletions, as their answers say", () => {
  it('put the change at the seq the answer gives, so the next entry is no gap', () => {
    const list = mergeStored([], [stored(1), stored(2)]);
    const after = applyOwnChange(list, edited(stored(1), 'fixed'), 3, ana);
    expect(seqs(after)).toEqual([1, 2, 3]);
    expect(after[0]).toMatchObject({ text: 'fixed', key: 'ana:c1' });
    expect(after[2]).toMatchObject({ hidden: true, author: ana, sentAt: at(30) });
    expect(gapBefore(after, 4, 2, 100)).toBeUndefined();
    expect(contiguousSeq(after)).toBe(3);
  });

  it('place the change among stored entries, before unsent messages', () => {
    const list = mergeStored([localMessage(ana, 'unsent', 'u')], [stored(1)]);
    const gone = applyOwnChange(list, deleted(stored(1)), 2, ana);
    expect(seqs(gone)).toEqual([1, 2, 'u']);
    expect(gone[0]).toMatchObject({ deleted: true, text: '' });
  });

  it('add no entry for a repeat that changed nothing, nor over one already heard', () => {
    const list = mergeStored([], [stored(1), change(2, edited(stored(1), 'x'))]);
    expect(seqs(applyOwnChange(list, edited(stored(1), 'x'), undefined, ana))).toEqual([1, 2]);
    expect(applyOwnChange(list, edited(stored(1), 'x'), 2, ana)[1]?.id).toBe('change2');
  });
});

describe('local messages', () => {
  it('fail and go back to pending on retry, keeping their clientMsgId', () => {
    const pending = localMessage(ana, 'hi', 'r1');
    const failed = updateLocal([pending], pending.key, { delivery: 'failed', error: 'offline' });
    expect(failed[0]).toMatchObject({ delivery: 'failed', error: 'offline', clientMsgId: 'r1' });
    const retried = updateLocal(failed, pending.key, { delivery: 'pending', error: undefined });
    expect(retried[0]).toMatchObject({ delivery: 'pending', clientMsgId: 'r1' });
  });

  it('survive a reset of the stored history', () => {
    const list = mergeStored([localMessage(ana, 'unsent', 'u')], [stored(1), stored(2)]);
    expect(seqs(keepUnsent(list))).toEqual(['u']);
  });
});

describe('gaps', () => {
  it('finds the messages missing before a seq that jumped', () => {
    const list = mergeStored([], [stored(4), stored(5)]);
    expect(gapBefore(list, 6, 5, 100)).toBeUndefined();
    expect(gapBefore(list, 9, 5, 100)).toEqual({ before: 9, limit: 3 });
    expect(gapBefore(list, 500, 5, 100)).toEqual({ before: 500, limit: 100 });
  });

  it('uses the last seq the join reported when the list is empty', () => {
    expect(gapBefore([], 11, 10, 100)).toBeUndefined();
    expect(gapBefore([], 13, 10, 100)).toEqual({ before: 13, limit: 2 });
  });

  it('re-joins from the end of the first unbroken run, so the server fills holes', () => {
    expect(contiguousSeq([])).toBe(0);
    expect(contiguousSeq(mergeStored([], [stored(3), stored(4), stored(5)]))).toBe(5);
    expect(contiguousSeq(mergeStored([], [stored(3), stored(4), stored(7)]))).toBe(4);
  });
});

describe('groupByAuthor', () => {
  it('groups consecutive messages of one author within five minutes', () => {
    const list = mergeStored(
      [],
      [
        stored(1, ana, 'a', 0),
        stored(2, ana, 'b', 3),
        stored(3, bo, 'c', 4),
        stored(4, ana, 'd', 5),
        stored(5, ana, 'e', 30),
      ],
    );
    expect(groupByAuthor(list).map((g) => [g.author.name, g.messages.map((m) => m.seq)])).toEqual([
      ['Ana', [1, 2]],
      ['Bo', [3]],
      ['Ana', [4]],
      ['Ana', [5]],
    ]);
  });

  it('leaves out change entries, so an edit by someone else does not split a group', () => {
    const list = mergeStored(
      [],
      [stored(1, ana, 'a', 0), change(2, edited(stored(9, bo), 'x')), stored(3, ana, 'b', 1)],
    );
    expect(groupByAuthor(list).map((g) => g.messages.map((m) => m.seq))).toEqual([[1, 3]]);
  });
});
