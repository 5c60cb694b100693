import type { Message } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  contiguousSeq,
  gapBefore,
  groupByAuthor,
  keepUnsent,
  localMessage,
  mergeStored,
  updateLocal,
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
});
