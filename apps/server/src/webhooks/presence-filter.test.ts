import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createPresenceFilter, type PresenceEvent, type PresenceFilter } from './presence-filter';

const filters: PresenceFilter[] = [];
afterEach(() => {
  for (const filter of filters.splice(0)) filter.stop();
});

type Step = { user: string; room: string; joining: boolean };

/** Offers what one user's joins and leaves would cause (a member event per step). */
function run(filter: PresenceFilter, steps: Step[]) {
  const sent: { type: PresenceEvent['type']; key: string }[] = [];
  for (const { user, room, joining } of steps) {
    const type = joining ? 'member.joined' : 'member.left';
    filter.offer({
      type,
      workspace: 'acme',
      room,
      userId: user,
      send: () => sent.push({ type, key: `${room}/${user}` }),
    });
  }
  return sent;
}

/** Real presence alternates per user and room: joined, left, joined… */
const presenceSteps = fc
  .array(fc.record({ user: fc.constantFrom('a', 'b', 'c'), room: fc.constantFrom('r1', 'r2') }), {
    maxLength: 80,
  })
  .map((picks) => {
    const inside = new Set<string>();
    return picks.map(({ user, room }): Step => {
      const key = `${room}/${user}`;
      const joining = !inside.has(key);
      if (joining) inside.add(key);
      else inside.delete(key);
      return { user, room, joining };
    });
  });

describe('the presence filter', () => {
  it('whatever it cancels or drops, a receiver sees each member alternate joined, left, joined', () => {
    fc.assert(
      fc.property(presenceSteps, fc.integer({ min: 1, max: 30 }), (steps, budget) => {
        const filter = createPresenceFilter({ coalesceMs: 1000, perUserPerMinute: budget });
        filters.push(filter);
        const sent = run(filter, steps);
        filter.flush();
        const last = new Map<string, string>();
        for (const { type, key } of sent) {
          expect(last.get(key) ?? 'member.left').not.toBe(type);
          last.set(key, type);
        }
        // No ghosts: whoever the receiver believes present really is.
        const inside = new Set<string>();
        for (const { user, room, joining } of steps) {
          if (joining) inside.add(`${room}/${user}`);
          else inside.delete(`${room}/${user}`);
        }
        for (const [key, type] of last) {
          if (type === 'member.joined') expect(inside.has(key)).toBe(true);
        }
        // Every offered event is accounted for: sent, cancelled with its opposite, or dropped.
        expect(sent.length + filter.counts.coalesced + filter.counts.overBudget).toBe(steps.length);
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });

  it('cancels a join and a leave that come within the window, sends a lasting one', () => {
    const filter = createPresenceFilter({ coalesceMs: 60_000, perUserPerMinute: 100 });
    filters.push(filter);
    const churn = Array.from({ length: 50 }, (_, i): Step[] => [
      { user: 'g', room: `fresh${i}`, joining: true },
      { user: 'g', room: `fresh${i}`, joining: false },
    ]).flat();
    const sent = run(filter, [...churn, { user: 'g', room: 'stays', joining: true }]);
    expect(sent).toEqual([]); // still held
    filter.flush();
    expect(sent).toEqual([{ type: 'member.joined', key: 'stays/g' }]);
    expect(filter.counts).toEqual({ coalesced: 100, overBudget: 0 });
  });

  it('drops the arrivals a user causes past their budget, and the departure of each dropped one', () => {
    const filter = createPresenceFilter({ coalesceMs: 0, perUserPerMinute: 4 });
    filters.push(filter);
    const steps = Array.from({ length: 10 }, (_, i): Step[] => [
      { user: 'flood', room: `r${i}`, joining: true },
    ]).flat();
    const joins = run(filter, steps);
    const leaves = run(
      filter,
      steps.map((s) => ({ ...s, joining: false })),
    );
    expect(joins.map((e) => e.key)).toEqual(['r0/flood', 'r1/flood', 'r2/flood', 'r3/flood']);
    // Leaving the rooms whose join went out is always told; the others' leaves are dropped too.
    expect(leaves.map((e) => e.key)).toEqual(['r0/flood', 'r1/flood', 'r2/flood', 'r3/flood']);
    expect(filter.counts.overBudget).toBe(12);
    // Someone else is not affected.
    expect(run(filter, [{ user: 'calm', room: 'r0', joining: true }])).toHaveLength(1);
  });
});
