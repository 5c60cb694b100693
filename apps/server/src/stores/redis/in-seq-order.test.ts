import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inSeqOrder } from './in-seq-order';

afterEach(() => {
  vi.useRealTimers();
});

describe('in seq order', () => {
  it('delivers a room’s entries in seq order, however they arrive, each once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }).chain((n) =>
          fc.tuple(
            fc.shuffledSubarray(
              Array.from({ length: n - 1 }, (_, i) => i + 2),
              { minLength: n - 1 },
            ),
            fc.constant(n),
          ),
        ),
        ([arrival, n]) => {
          const delivered: number[] = [];
          const order = inSeqOrder<number>((seq) => delivered.push(seq), { windowMs: 60_000 });
          order.offer('acme/general', 1, 1);
          for (const seq of arrival) order.offer('acme/general', seq, seq);
          order.stop();
          expect(delivered).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        },
      ),
      { seed: 20261201, numRuns: 200 },
    );
  });

  it('waits at most the window for a missing entry, then goes on in order', () => {
    vi.useFakeTimers();
    const delivered: string[] = [];
    const order = inSeqOrder<string>((entry) => delivered.push(entry), { windowMs: 100 });
    order.offer('r', 1, 'a1');
    order.offer('r', 4, 'a4');
    order.offer('r', 3, 'a3');
    order.offer('other', 7, 'b7'); // rooms are apart
    expect(delivered).toEqual(['a1', 'b7']);
    vi.advanceTimersByTime(99);
    expect(delivered).toEqual(['a1', 'b7']);
    vi.advanceTimersByTime(1);
    expect(delivered).toEqual(['a1', 'b7', 'a3', 'a4']);
    // The missing one, late: delivered rather than lost; what follows is in line again.
    order.offer('r', 2, 'a2');
    order.offer('r', 5, 'a5');
    expect(delivered).toEqual(['a1', 'b7', 'a3', 'a4', 'a2', 'a5']);
    order.stop();
  });
});
