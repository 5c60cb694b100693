import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemberCache } from './member-cache';

describe('member cache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers what JSON.parse answers, for any member as stored, and the same frozen object again', () => {
    const cache = createMemberCache({ maxEntries: 50 });
    fc.assert(
      fc.property(
        fc.record(
          {
            id: fc.string({ minLength: 1, unit: 'binary' }),
            name: fc.string({ unit: 'binary' }),
            kind: fc.constant('integration' as const),
          },
          { requiredKeys: ['id', 'name'] },
        ),
        (member) => {
          const json = JSON.stringify(member);
          const parsed = cache.parse(json);
          expect(parsed).toEqual(JSON.parse(json));
          expect(cache.parse(json)).toBe(parsed);
          expect(Object.isFrozen(parsed)).toBe(true);
          expect(() => {
            (parsed as { name: string }).name = 'changed';
          }).toThrow(TypeError);
        },
      ),
    );
    cache.stop();
  });

  it('forgets a member not asked for in two generations, and keeps one asked for in each', () => {
    vi.useFakeTimers();
    const cache = createMemberCache({ generationMs: 1000 });
    const kept = cache.parse('{"id":"a","name":"A"}');
    const dropped = cache.parse('{"id":"b","name":"B"}');
    vi.advanceTimersByTime(1000);
    expect(cache.parse('{"id":"a","name":"A"}')).toBe(kept);
    vi.advanceTimersByTime(1000);
    expect(cache.parse('{"id":"a","name":"A"}')).toBe(kept);
    const again = cache.parse('{"id":"b","name":"B"}');
    expect(again).toEqual(dropped);
    expect(again).not.toBe(dropped);
    cache.stop();
  });

  it('holds at most two generations of maxEntries, however many distinct users come', () => {
    const cache = createMemberCache({ maxEntries: 10 });
    const first = cache.parse('{"id":"u0","name":"0"}');
    for (let i = 1; i < 25; i++) cache.parse(`{"id":"u${i}","name":"${i}"}`);
    // u0 was in the first full generation, two generations back by now: parsed anew.
    expect(cache.parse('{"id":"u0","name":"0"}')).not.toBe(first);
    const recent = cache.parse('{"id":"u24","name":"24"}');
    expect(cache.parse('{"id":"u24","name":"24"}')).toBe(recent);
    cache.stop();
  });
});
