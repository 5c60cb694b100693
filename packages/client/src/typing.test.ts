import { LIMITS } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ana, bo } from '../test/fixtures';
import {
  nextExpiry,
  type TypingSent,
  typingChanged,
  typingDecision,
  typingExpired,
  typingStopped,
} from './typing';

const REFRESH = LIMITS.typingRefreshMs;

describe('when to send typing:set', () => {
  it.each([
    { sentAt: undefined, typing: true, now: 0, send: true, next: 0 },
    { sentAt: 0, typing: true, now: 1, send: null, next: 0 },
    { sentAt: 0, typing: true, now: REFRESH - 1, send: null, next: 0 },
    { sentAt: 0, typing: true, now: REFRESH, send: true, next: REFRESH },
    { sentAt: 0, typing: false, now: 10, send: false, next: undefined },
    { sentAt: undefined, typing: false, now: 10, send: null, next: undefined },
  ] as {
    sentAt: TypingSent;
    typing: boolean;
    now: number;
    send: boolean | null;
    next: TypingSent;
  }[])(
    'sent at $sentAt, typing $typing at $now → send $send',
    ({ sentAt, typing, now, send, next }) => {
      expect(typingDecision(sentAt, typing, now)).toEqual({ send, sentAt: next });
    },
  );

  it('while someone types for ten seconds, says it every refresh period and stops once', () => {
    let sentAt: TypingSent;
    const sent: [number, boolean][] = [];
    const keystroke = (now: number, typing: boolean) => {
      const decision = typingDecision(sentAt, typing, now);
      sentAt = decision.sentAt;
      if (decision.send !== null) sent.push([now, decision.send]);
    };
    for (let now = 0; now <= 10_000; now += 100) keystroke(now, true);
    keystroke(10_050, false);
    keystroke(10_100, false);
    expect(sent).toEqual([
      [0, true],
      [REFRESH, true],
      [2 * REFRESH, true],
      [3 * REFRESH, true],
      [10_050, false],
    ]);
  });
});

describe("others' typing", () => {
  it('lasts the timeout unless repeated, and ends when they say so', () => {
    const on = typingChanged([], bo, true, 1000);
    expect(on).toEqual([{ user: bo, until: 1000 + LIMITS.typingTimeoutMs }]);
    const repeated = typingChanged(on, bo, true, 4000);
    expect(repeated).toEqual([{ user: bo, until: 4000 + LIMITS.typingTimeoutMs }]);
    expect(typingChanged(repeated, bo, false, 4500)).toEqual([]);
    expect(typingChanged(repeated, ana, false, 4500)).toBe(repeated);
  });

  it('expires by itself, and answers the same list when nobody expired', () => {
    const list = [...typingChanged([], bo, true, 0), ...typingChanged([], ana, true, 2000)];
    expect(typingExpired(list, LIMITS.typingTimeoutMs - 1)).toBe(list);
    expect(typingExpired(list, LIMITS.typingTimeoutMs).map((e) => e.user.id)).toEqual(['ana']);
    expect(nextExpiry([list, []])).toBe(LIMITS.typingTimeoutMs);
    expect(nextExpiry([[], []])).toBeUndefined();
  });

  it('stops for those who sent a message or left', () => {
    const list = typingChanged(typingChanged([], bo, true, 0), ana, true, 0);
    expect(typingStopped(list, new Set(['bo'])).map((e) => e.user.id)).toEqual(['ana']);
    expect(typingStopped(list, new Set(['cy']))).toBe(list);
  });
});
