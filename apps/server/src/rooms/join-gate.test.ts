import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJoinGate } from './join-gate';

afterEach(() => vi.useRealTimers());

/** A join that ends when the test says so. */
function pending() {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { done, finish };
}

describe('the join gate', () => {
  it('runs at most `concurrency` joins, the rest in order as slots free', async () => {
    const gate = createJoinGate({ concurrency: 2, maxWaiting: 10, maxWaitMs: 10_000 });
    const started: number[] = [];
    const joins = Array.from({ length: 5 }, () => pending());
    const results = joins.map((join, i) =>
      gate.run(async () => {
        started.push(i);
        await join.done;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(gate.load()).toEqual({ running: 2, waiting: 3 });
    joins[1]?.finish();
    await results[1];
    await vi.waitFor(() => expect(started).toEqual([0, 1, 2]));
    for (const join of joins) join.finish();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('answers rate_limited with a retryAfterMs past maxWaiting, or after maxWaitMs waited', async () => {
    vi.useFakeTimers();
    const gate = createJoinGate({ concurrency: 1, maxWaiting: 1, maxWaitMs: 1000 });
    const first = pending();
    const running = gate.run(() => first.done);
    const waiter = gate.run(async () => 'waited');
    await expect(gate.run(async () => 'over')).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: expect.any(Number),
    });
    const refused = expect(waiter).rejects.toMatchObject({ code: 'rate_limited' });
    await vi.advanceTimersByTimeAsync(1000);
    await refused;
    first.finish();
    await running;
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
    expect(await gate.run(async () => 'free again')).toBe('free again');
  });

  it('never runs more than `concurrency` at once, and frees every slot, whatever the joins do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ fails: fc.boolean(), ticks: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 30,
        }),
        async (concurrency, joins) => {
          const gate = createJoinGate({ concurrency, maxWaiting: 100, maxWaitMs: 60_000 });
          let now = 0;
          let most = 0;
          const outcomes = await Promise.allSettled(
            joins.map(({ fails, ticks }) =>
              gate.run(async () => {
                now++;
                most = Math.max(most, now);
                for (let i = 0; i < ticks; i++) await Promise.resolve();
                now--;
                if (fails) throw new Error('store failed');
              }),
            ),
          );
          expect(most).toBeLessThanOrEqual(concurrency);
          expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(
            joins.filter((j) => j.fails).length,
          );
          expect(gate.load()).toEqual({ running: 0, waiting: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });
});
