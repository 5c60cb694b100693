import { describe, expect, it } from 'vitest';
import { ana, at, bo, change, deleted, edited, stored } from '../test/fixtures';
import {
  applyDeletion,
  applyEdit,
  applyOwnChange,
  type ChatMessage,
  contiguousSeq,
  gapBefore,
  gapRequest,
  gapsAbove,
  groupByAuthor,
  keepUnsent,
  localMessage,
  mergeStored,
  openGaps,
  resumePoint,
  visibleMessages,
} from './timeline';

const seqs = (list: readonly ChatMessage[]) => list.map((m) => m.seq ?? m.clientMsgId);
const local = (text: string, id: string) => localMessage(ana, text, id, at(0));

describe('mergeStored', () => {
  it('keeps stored messages in seq order whatever order they arrive in', () => {
    const list = mergeStored(mergeStored([], [stored(3), stored(1)]), [stored(2)]);
    expect(seqs(list)).toEqual([1, 2, 3]);
  });

  it('never shows a seq twice, and answers the same list for a duplicate', () => {
    const list = mergeStored([], [stored(1), stored(2)]);
    expect(mergeStored(list, [stored(2), stored(1)])).toBe(list);
    expect(mergeStored(list, [stored(2)])).toBe(list);
  });

  it('replaces the pending copy with the stored one, by author and clientMsgId', () => {
    const pending = local('hello', 'x1');
    const list = mergeStored([pending], [stored(7, ana, 'x1')]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ seq: 7, delivery: 'sent', key: pending.key });
  });

  it("does not confuse another author's message with the same clientMsgId", () => {
    const pending = local('hello', 'same');
    const list = mergeStored([pending], [stored(1, bo, 'same')]);
    expect(seqs(list)).toEqual([1, 'same']);
    expect(list[1]?.delivery).toBe('pending');
  });

  it('keeps local messages after the stored ones, in the order they were written', () => {
    const list = mergeStored([local('a', 'p1'), local('b', 'p2')], [stored(1, bo)]);
    expect(seqs(list)).toEqual([1, 'p1', 'p2']);
    expect(seqs(mergeStored(list, [stored(3, bo), stored(2, bo)]))).toEqual([1, 2, 3, 'p1', 'p2']);
  });

  it('keeps the objects of messages that did not change', () => {
    const list = mergeStored([], [stored(1), stored(2)]);
    const next = mergeStored(list, [stored(3)]);
    expect(next[0]).toBe(list[0]);
    expect(next[1]).toBe(list[1]);
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
    expect(gapBefore(list, 4, 3)).toBeUndefined();
    expect(resumePoint(list)).toEqual({ since: 3, sinceId: 'change3' });
  });

  it('keeps a newer copy when an older answer arrives after a live change', () => {
    const gone = applyDeletion(
      mergeStored([], [stored(1)]),
      { id: 'id1', seq: 1, changeSeq: 2 },
      at(2),
    );
    expect(mergeStored(gone, [stored(1)])[0]).toMatchObject({ deleted: true, text: '' });
    const late = applyEdit(mergeStored([], [stored(1)]), edited(stored(1), 'second', 40), 2);
    expect(mergeStored(late, [edited(stored(1), 'first', 35)])[0]?.text).toBe('second');
  });

  it('applies a change heard before the message it names once that message arrives', () => {
    // A gap filled after the live edit: the page may have been read before the edit.
    const heard = applyEdit(mergeStored([], [stored(1)]), edited(stored(2), 'fixed'), 3);
    expect(seqs(heard)).toEqual([1, 3]);
    const filled = mergeStored(heard, [stored(2)]);
    expect(filled.map((m) => m.text)).toEqual(['m1', 'fixed', '']);
    const gone = applyDeletion(
      mergeStored([], [stored(1)]),
      { id: 'id2', seq: 2, changeSeq: 3 },
      at(3),
    );
    expect(mergeStored(gone, [stored(2)])[1]).toMatchObject({ seq: 2, deleted: true });
  });

  it('ignores a change of a message older than the list holds, but keeps its seq', () => {
    const list = mergeStored(mergeStored([], [stored(10)]), [change(11, edited(stored(3), 'old'))]);
    expect(seqs(list)).toEqual([10, 11]);
    expect(visibleMessages(list).map((m) => m.text)).toEqual(['m10']);
  });

  it("learns a live change's id when history brings the entry", () => {
    const live = applyEdit(mergeStored([], [stored(1)]), edited(stored(1), 'x'), 2);
    expect(live[1]?.id).toBeUndefined();
    const read = mergeStored(live, [change(2, edited(stored(1), 'x'))]);
    expect(read[1]?.id).toBe('change2');
    expect(resumePoint(read)).toEqual({ since: 2, sinceId: 'change2' });
  });
});

describe('live edits and deletions', () => {
  it('show the new text in place and take the change seq', () => {
    const list = applyEdit(mergeStored([], [stored(1), stored(2)]), edited(stored(1), 'new'), 3);
    expect(list.map((m) => m.text)).toEqual(['new', 'm2', '']);
    expect(list[2]).toMatchObject({ seq: 3, hidden: true });
    expect(contiguousSeq(list)).toBe(3);
  });

  it('show a tombstone in place of the deleted message, checked by id', () => {
    const list = mergeStored([], [stored(1), stored(2)]);
    const gone = applyDeletion(list, { id: 'id2', seq: 2, changeSeq: 3 }, at(3));
    expect(gone[1]).toMatchObject({ seq: 2, deleted: true, text: '' });
    const wrongId = applyDeletion(list, { id: 'other', seq: 2, changeSeq: 3 }, at(3));
    expect(wrongId[1]).toMatchObject({ seq: 2, text: 'm2' });
  });

  it('keep local messages last and do not replace a change entry already known', () => {
    const list = mergeStored(
      [local('unsent', 'u')],
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
    const after = applyOwnChange(list, edited(stored(1), 'fixed'), 3, ana, at(50));
    expect(seqs(after)).toEqual([1, 2, 3]);
    expect(after[0]).toMatchObject({ text: 'fixed', key: 'ana:c1' });
    expect(after[2]).toMatchObject({ hidden: true, author: ana, sentAt: at(30) });
    expect(gapBefore(after, 4, 2)).toBeUndefined();
  });

  it('place the change among stored entries, before unsent messages', () => {
    const list = mergeStored([local('unsent', 'u')], [stored(1)]);
    const gone = applyOwnChange(list, deleted(stored(1)), 2, ana, at(2));
    expect(seqs(gone)).toEqual([1, 2, 'u']);
    expect(gone[0]).toMatchObject({ deleted: true, text: '' });
  });

  it('add no entry for a repeat that changed nothing, nor over one already heard', () => {
    const list = mergeStored([], [stored(1), change(2, edited(stored(1), 'x'))]);
    expect(seqs(applyOwnChange(list, edited(stored(1), 'x'), undefined, ana, at(3)))).toEqual([
      1, 2,
    ]);
    expect(applyOwnChange(list, edited(stored(1), 'x'), 2, ana, at(3))[1]?.id).toBe('change2');
  });
});

describe('unsent messages', () => {
  it('survive a reset of the stored history', () => {
    const list = mergeStored([local('unsent', 'u')], [stored(1), stored(2)]);
    expect(seqs(keepUnsent(list))).toEqual(['u']);
  });
});

describe('gaps', () => {
  it.each([
    { held: [4, 5], lastSeq: 5, seq: 6, gap: undefined },
    { held: [4, 5], lastSeq: 5, seq: 9, gap: { before: 9, limit: 3 } },
    { held: [4, 5], lastSeq: 5, seq: 500, gap: { before: 500, limit: 494 } },
    { held: [], lastSeq: 10, seq: 11, gap: undefined },
    { held: [], lastSeq: 10, seq: 13, gap: { before: 13, limit: 2 } },
    // Nothing known before: the first entry heard is no gap.
    { held: [], lastSeq: 0, seq: 7, gap: undefined },
    // Older than the newest held (a gap being filled): not a gap of its own.
    { held: [1, 5], lastSeq: 5, seq: 3, gap: undefined },
  ])('held $held, told $lastSeq, then $seq: gap $gap', ({ held, lastSeq, seq, gap }) => {
    const list = mergeStored(
      [],
      held.map((s) => stored(s)),
    );
    expect(gapBefore(list, seq, lastSeq)).toEqual(gap);
  });

  it('asks at most a page of history at once', () => {
    expect(gapRequest({ before: 500, limit: 494 })).toEqual({ before: 500, limit: 100 });
    expect(gapRequest({ before: 9, limit: 3 })).toEqual({ before: 9, limit: 3 });
  });

  it.each([
    { held: [5, 6, 7, 8, 9], gaps: [{ before: 9, limit: 3 }], open: [] },
    { held: [5, 8, 9], gaps: [{ before: 9, limit: 3 }], open: [{ before: 8, limit: 2 }] },
    { held: [5, 6, 9], gaps: [{ before: 9, limit: 3 }], open: [{ before: 9, limit: 3 }] },
    { held: [5, 9], gaps: [], open: [] },
  ])('with $held held, $gaps leaves $open open', ({ held, gaps, open }) => {
    const list = mergeStored(
      [],
      held.map((s) => stored(s)),
    );
    expect(openGaps(list, gaps)).toEqual(open);
  });

  it.each([
    { held: [3, 4, 5], reached: 5, gaps: [] },
    { held: [3, 4, 7], reached: 4, gaps: [{ before: 7, limit: 2 }] },
    {
      held: [3, 6, 9],
      reached: 3,
      gaps: [
        { before: 6, limit: 2 },
        { before: 9, limit: 2 },
      ],
    },
    // Below what is reached, a hole is none of its business (the page's own older entries).
    { held: [1, 5, 7], reached: 6, gaps: [] },
  ])(
    'with $held held and nothing missing up to $reached: gaps $gaps',
    ({ held, reached, gaps }) => {
      const list = mergeStored(
        [],
        held.map((s) => stored(s)),
      );
      expect(gapsAbove([...list, local('unsent', 'p1')], reached)).toEqual(gaps);
    },
  );

  it('answers the same gaps when none changed', () => {
    const gaps = [{ before: 9, limit: 3 }];
    expect(openGaps(mergeStored([], [stored(5), stored(9)]), gaps)).toBe(gaps);
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
