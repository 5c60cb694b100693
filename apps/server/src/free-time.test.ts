import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { busyFor } from '../test/busy';
import { afterFreeTime, checkPeriodFor, createFreeTime, freeTimeSignal } from './free-time';

/** Resolves with what settles first: the timeout firing, or the answer. */
function race(
  ms: number,
  answerAfter: (answer: () => void) => void,
): Promise<'timeout' | 'answer'> {
  return new Promise((resolve) => {
    const cancel = afterFreeTime(ms, () => resolve('timeout'));
    answerAfter(() => {
      cancel();
      resolve('answer');
    });
  });
}

describe('free time', () => {
  it('fires after its time on a free loop, not before', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => afterFreeTime(40, resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('does not count a long turn of the node as time the answer had', async () => {
    const outcome = race(40, (answer) => {
      // The node's own turn runs past the timeout; the answer comes soon after it.
      busyFor(150);
      setTimeout(answer, 15);
    });
    expect(await outcome).toBe('answer');
  });

  it('still fires when no answer comes, however long every turn is', async () => {
    let fired = false;
    afterFreeTime(40, () => {
      fired = true;
    });
    let turns = 0;
    while (!fired) {
      busyFor(60);
      turns++;
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Each long turn counts at most two periods (10 ms each here).
    expect(turns).toBeLessThanOrEqual(10);
  });

  it('never fires once cancelled', async () => {
    let fired = false;
    const cancel = afterFreeTime(10, () => {
      fired = true;
    });
    cancel();
    // A timeout four times as long, started after, fires: the first had every chance to.
    await new Promise<void>((resolve) => afterFreeTime(40, resolve));
    expect(fired).toBe(false);
  });

  it('aborts a signal with a TimeoutError, as AbortSignal.timeout does', async () => {
    const signal = freeTimeSignal(20);
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('counts at most two periods a tick, and never backwards, whatever the gaps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: -1_000, max: 100_000 }), { maxLength: 50 }),
        (ms, gaps) => {
          const period = checkPeriodFor(ms);
          expect(period).toBeGreaterThanOrEqual(5);
          expect(period).toBeLessThanOrEqual(100);
          const time = createFreeTime(period);
          let now = 0;
          time.restart(now);
          let before = time.counted;
          for (const gap of gaps) {
            now += gap;
            const counted = time.tick(now);
            expect(counted - before).toBeGreaterThanOrEqual(0);
            expect(counted - before).toBeLessThanOrEqual(2 * period);
            // A tick as often as the period counts it all: a free loop's time is its clock's.
            if (gap >= 0 && gap <= 2 * period) expect(counted - before).toBe(gap);
            before = counted;
          }
        },
      ),
    );
  });
});
