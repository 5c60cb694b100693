import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSessionAdmission, type PendingSession } from './session-admission';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('session admission', () => {
  it('admits up to the limit, and again once a session settles or closes', () => {
    const time = clock();
    const admission = createSessionAdmission({ maxPending: 2, maxPendingMs: 10_000, ...time });
    const first = admission.open();
    expect(admission.admits()).toBe(true);
    const second = admission.open();
    expect(admission.admits()).toBe(false);
    admission.settle(first);
    admission.settle(first); // twice: counted once
    expect(admission.pending()).toBe(1);
    expect(admission.admits()).toBe(true);
    admission.open();
    expect(admission.admits()).toBe(false);
    admission.settle(second);
    expect(admission.admits()).toBe(true);
  });

  it('frees the place of a session that never connects after maxPendingMs', () => {
    const time = clock();
    const admission = createSessionAdmission({ maxPending: 1, maxPendingMs: 10_000, ...time });
    admission.open();
    time.advance(9_999);
    expect(admission.admits()).toBe(false);
    time.advance(2);
    expect(admission.admits()).toBe(true);
    expect(admission.pending()).toBe(0);
  });

  it('tracks nothing without a limit', () => {
    const admission = createSessionAdmission({ maxPending: 0, maxPendingMs: 10_000 });
    for (let i = 0; i < 1000; i++) admission.open();
    expect(admission.admits()).toBe(true);
    expect(admission.pending()).toBe(0);
  });

  it('admits exactly while fewer sessions than the limit are pending, whatever happens (generative)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('open' as const) }),
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(step, { maxLength: 300 }),
        (maxPending, steps) => {
          const time = clock();
          const maxPendingMs = 5000;
          const admission = createSessionAdmission({ maxPending, maxPendingMs, ...time });
          // The model: every session with when it opened and whether it settled.
          const model: { session: PendingSession; at: number; settled: boolean }[] = [];
          const live = () =>
            model.filter((entry) => !entry.settled && time.now() - entry.at < maxPendingMs).length;
          for (const next of steps) {
            if (next.kind === 'open') {
              model.push({ session: admission.open(), at: time.now(), settled: false });
            } else if (next.kind === 'settle' && model.length > 0) {
              const entry = model[next.pick % model.length] as (typeof model)[number];
              admission.settle(entry.session);
              entry.settled = true;
            } else if (next.kind === 'wait') {
              time.advance(next.ms);
            }
            expect(admission.admits()).toBe(live() < maxPending);
          }
        },
      ),
    );
  });
});
