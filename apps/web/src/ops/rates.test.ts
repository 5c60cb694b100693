import { describe, expect, it } from 'vitest';
import {
  EMPTY_HISTORY,
  increase,
  type NodeCounters,
  type PollReading,
  type RateHistory,
  type Reading,
  rates,
  recordPoll,
} from './rates';

const at = (seconds: number) => seconds * 1000;
const r = (seconds: number, value: number, startedAt?: number): Reading => ({
  at: at(seconds),
  value,
  startedAt,
});

describe('increase', () => {
  it.each<[string, Reading, Reading, number]>([
    ['grows', r(0, 10), r(1, 15), 5],
    ['stays', r(0, 10), r(1, 10), 0],
    ['goes down: a restart, counted from zero', r(0, 100), r(1, 7), 7],
    ['goes down to zero', r(0, 100), r(1, 0), 0],
    ['grows but the node started anew', r(0, 10, 1), r(1, 12, 2), 12],
    ['same start', r(0, 10, 1), r(1, 12, 1), 2],
    ['start not known on one side', r(0, 10, 1), r(1, 12), 2],
  ])('%s', (_name, prev, next, expected) => {
    expect(increase(prev, next)).toBe(expected);
  });
});

describe('rates', () => {
  it.each<[string, Reading[], { at: number; value: number }[]]>([
    ['no readings', [], []],
    ['one reading: no rate yet', [r(0, 5)], []],
    [
      'steady',
      [r(0, 0), r(2, 10), r(4, 20)],
      [
        { at: at(2), value: 5 },
        { at: at(4), value: 5 },
      ],
    ],
    [
      'rising',
      [r(0, 0), r(1, 1), r(2, 4), r(3, 10)],
      [
        { at: at(1), value: 1 },
        { at: at(2), value: 3 },
        { at: at(3), value: 6 },
      ],
    ],
    ['idle', [r(0, 7), r(3, 7)], [{ at: at(3), value: 0 }]],
    [
      'a restart between readings: the new value over the interval',
      [r(0, 90), r(3, 100), r(6, 6)],
      [
        { at: at(3), value: 10 / 3 },
        { at: at(6), value: 2 },
      ],
    ],
    [
      'a restart seen by its start time only',
      [r(0, 50, 1), r(2, 60, 9)],
      [{ at: at(2), value: 30 }],
    ],
    [
      'a reading at the same time is skipped',
      [r(0, 0), r(0, 5), r(2, 10)],
      [{ at: at(2), value: 5 }],
    ],
    [
      'a reading back in time is skipped',
      [r(5, 50), r(4, 40), r(6, 52)],
      [{ at: at(6), value: 2 }],
    ],
    ['fractional seconds', [r(0, 0), r(1.5, 3)], [{ at: at(1.5), value: 2 }]],
  ])('%s', (_name, series, expected) => {
    expect(rates(series)).toEqual(expected);
  });
});

function node(
  id: string,
  reportedAt: number,
  messagesStored: number,
  deliveries: number,
  startedAt = 0,
): { id: string } & NodeCounters {
  return { id, reportedAt: at(reportedAt), startedAt: at(startedAt), messagesStored, deliveries };
}

function play(polls: PollReading[], limit?: number): RateHistory {
  return polls.reduce((history, poll) => recordPoll(history, poll, limit), EMPTY_HISTORY);
}

const values = (history: RateHistory) => ({
  messages: history.messages.map((point) => point.value),
  deliveries: history.deliveries.map((point) => point.value),
});

describe('recordPoll: the cluster rates from successive overviews', () => {
  it.each<[string, PollReading[], { messages: number[]; deliveries: number[] }]>([
    [
      'one poll: nothing to compare yet',
      [{ at: at(0), nodes: [node('a', 0, 5, 10)] }],
      {
        messages: [],
        deliveries: [],
      },
    ],
    [
      'two nodes: their rates are summed',
      [
        { at: at(0), nodes: [node('a', 0, 0, 0), node('b', 0, 100, 100)] },
        { at: at(3), nodes: [node('a', 3, 30, 60), node('b', 3, 106, 112)] },
      ],
      { messages: [12], deliveries: [24] },
    ],
    [
      'a node reporting less often than the page polls: its rate holds until it reports again',
      [
        { at: at(0), nodes: [node('a', 0, 0, 0)] },
        { at: at(3), nodes: [node('a', 2, 20, 20)] },
        { at: at(6), nodes: [node('a', 2, 20, 20)] },
        { at: at(9), nodes: [node('a', 8, 20, 20)] },
      ],
      { messages: [10, 10, 0], deliveries: [10, 10, 0] },
    ],
    [
      'a node restarts: its counter starts again from zero, never a negative rate',
      [
        { at: at(0), nodes: [node('a', 0, 500, 900)] },
        { at: at(4), nodes: [node('a', 4, 8, 4, 2)] },
      ],
      { messages: [2], deliveries: [1] },
    ],
    [
      'a node joins: it adds once it has two reports',
      [
        { at: at(0), nodes: [node('a', 0, 0, 0)] },
        { at: at(2), nodes: [node('a', 2, 2, 2), node('b', 2, 50, 50)] },
        { at: at(4), nodes: [node('a', 4, 4, 4), node('b', 4, 60, 70)] },
      ],
      { messages: [1, 6], deliveries: [1, 11] },
    ],
    [
      'a node leaves: the rest go on',
      [
        { at: at(0), nodes: [node('a', 0, 0, 0), node('b', 0, 0, 0)] },
        { at: at(2), nodes: [node('a', 2, 2, 2), node('b', 2, 4, 4)] },
        { at: at(4), nodes: [node('a', 4, 4, 4)] },
      ],
      { messages: [3, 1], deliveries: [3, 1] },
    ],
    [
      'a stale node adds nothing',
      [
        { at: at(0), nodes: [node('a', 0, 0, 0), node('b', 0, 0, 0)] },
        { at: at(2), nodes: [node('a', 2, 2, 2), node('b', 2, 4, 4)] },
        { at: at(40), nodes: [node('a', 40, 40, 40), node('b', 2, 4, 4)], stale: new Set(['b']) },
      ],
      { messages: [3, 1], deliveries: [3, 1] },
    ],
  ])('%s', (_name, polls, expected) => {
    expect(values(play(polls))).toEqual(expected);
  });

  it('keeps each node’s own rates and the last `limit` points', () => {
    const polls: PollReading[] = Array.from({ length: 6 }, (_, i) => ({
      at: at(i),
      nodes: [node('a', i, i * i, 0)],
    }));
    const history = play(polls, 3);
    expect(history.messages).toEqual([
      { at: at(3), value: 5 },
      { at: at(4), value: 7 },
      { at: at(5), value: 9 },
    ]);
    expect(history.nodes.get('a')?.rates).toEqual({ messages: 9, deliveries: 0 });
  });
});
