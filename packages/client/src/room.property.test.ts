import type { HistoryEntry, Member, Message, MessageChange } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ana, bo, ROOM } from '../test/fixtures';
import { emptyRoom, type RoomAction, type RoomState, roomReducer } from './room';

/**
 * Whatever order a room's entries arrive in, however often, live or in pages read at any time
 * since: the reducer holds each `seq` once, in order, and once every entry has arrived at least
 * once it shows the messages as the log left them.
 */

const BASE = Date.UTC(2026, 0, 1);
const time = (seq: number) => new Date(BASE + seq * 1000).toISOString();

interface Step {
  kind: 'message' | 'edit' | 'delete';
  author: Member;
  pick: number;
}

interface Log {
  entries: HistoryEntry[];
  /** Each message as it stood after the entry at `seq` (index `seq`). */
  states: Map<number, Message>[];
}

/** `history` names the log's ids and texts apart from another's (a reset history's). */
function buildLog(steps: Step[], history = ''): Log {
  const entries: HistoryEntry[] = [];
  const states: Map<number, Message>[] = [new Map()];
  let current = new Map<number, Message>();
  for (const step of steps) {
    const seq = entries.length + 1;
    const alive = [...current.values()].filter((message) => !message.deleted);
    const target = alive[step.pick % Math.max(alive.length, 1)];
    if (step.kind === 'message' || !target) {
      const message: Message = {
        id: `${history}m${seq}`,
        room: ROOM,
        seq,
        author: step.author,
        text: `${history}text ${seq}`,
        sentAt: time(seq),
        clientMsgId: `${history}c${seq}`,
      };
      entries.push(message);
      current = new Map(current).set(seq, message);
    } else {
      const after: Message =
        step.kind === 'edit'
          ? { ...target, text: `${history}edit ${seq}`, editedAt: time(seq) }
          : (({ editedAt: _e, ...rest }) => ({ ...rest, text: '', deleted: true as const }))(
              target,
            );
      const change: MessageChange = {
        type: 'change',
        id: `${history}x${seq}`,
        room: ROOM,
        seq,
        action: step.kind,
        message: after,
        by: target.author,
        at: time(seq),
      };
      entries.push(change);
      current = new Map(current).set(target.seq, after);
    }
    states.push(current);
  }
  return { entries, states };
}

/** An entry as a page read after the entry at `asOf` serves it: messages as they were then. */
function readAt(log: Log, entry: HistoryEntry, asOf: number): HistoryEntry {
  if ('type' in entry) return entry;
  return log.states[asOf]?.get(entry.seq) ?? entry;
}

interface Delivery {
  mode: 'live' | 'page' | 'recovery';
  width: number;
  lag: number;
}

/** An entry of the log as the server sends it live. */
function live(entry: HistoryEntry): RoomAction {
  if (!('type' in entry)) return { type: 'message:new', payload: entry, me: 'nobody' };
  if (entry.action === 'edit') {
    return { type: 'message:updated', payload: { ...entry.message, changeSeq: entry.seq } };
  }
  return {
    type: 'message:deleted',
    payload: { room: ROOM, id: entry.message.id, seq: entry.message.seq, changeSeq: entry.seq },
    now: BASE + entry.seq * 1000,
  };
}

function deliver(log: Log, index: number, { mode, width, lag }: Delivery): RoomAction {
  const entry = log.entries[index];
  if (!entry) throw new Error('no entry');
  const n = log.entries.length;
  if (mode === 'live') return live(entry);
  const from = Math.max(0, index - width + 1);
  const asOf = Math.min(n, entry.seq + lag);
  const page = log.entries.slice(from, index + 1).map((e) => readAt(log, e, asOf));
  if (mode === 'page') {
    return {
      type: 'history',
      purpose: { kind: 'older' },
      result: { ok: true, messages: page, hasMore: from > 0 },
    };
  }
  return joinAnswered(page, asOf, from > 0, true);
}

function joinAnswered(
  messages: HistoryEntry[],
  lastSeq: number,
  hasMore: boolean,
  recovered: boolean,
): RoomAction {
  return {
    type: 'join',
    me: 'nobody',
    result: {
      ok: true,
      room: {
        name: ROOM,
        topic: null,
        memberCount: 1,
        visibility: 'public',
        readOnly: false,
        presence: 'members',
        lastSeq,
        role: null,
      },
      messages,
      members: [],
      hasMore,
      recovered,
    },
  };
}

/** The messages as the log left them, from `seq` `after` on: what a view shows once all came. */
function shownAsLeft(log: Log, after: number) {
  const final = log.states.at(-1) ?? new Map<number, Message>();
  return [...final.values()]
    .filter((m) => m.seq > after)
    .sort((a, b) => a.seq - b.seq)
    .map((m) => ({ seq: m.seq, text: m.text, deleted: m.deleted === true }));
}

function shown(state: RoomState) {
  return state.timeline.messages
    .filter((m) => !m.hidden)
    .map((m) => ({ seq: m.seq, text: m.text, deleted: m.deleted === true }));
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('message', 'message', 'edit', 'delete'),
  author: fc.constantFrom(ana, bo),
  pick: fc.nat(),
});

const delivery: fc.Arbitrary<Delivery> = fc.record({
  mode: fc.constantFrom('live', 'page', 'recovery'),
  width: fc.integer({ min: 1, max: 6 }),
  lag: fc.nat({ max: 40 }),
});

/** A log, and deliveries of its entries: every one at least once, in any order, some again. */
const scenario = fc.array(step, { minLength: 1, maxLength: 40 }).chain((steps) => {
  const log = buildLog(steps);
  const indexes = log.entries.map((_, i) => i);
  return fc.record({
    log: fc.constant(log),
    order: fc.shuffledSubarray(indexes, { minLength: indexes.length }),
    again: fc.array(fc.nat({ max: indexes.length - 1 }), { maxLength: indexes.length }),
    at: fc.array(fc.nat(), { minLength: indexes.length * 2, maxLength: indexes.length * 2 }),
    how: fc.array(delivery, { minLength: indexes.length * 2, maxLength: indexes.length * 2 }),
  });
});

function play(
  log: Log,
  order: number[],
  again: number[],
  at: number[],
  how: Delivery[],
): RoomState {
  // The repeats go in at random places among the first deliveries.
  const sequence = [...order];
  again.forEach((index, i) => {
    sequence.splice((at[i] ?? 0) % (sequence.length + 1), 0, index);
  });
  return sequence.reduce(
    (state, index, i) =>
      roomReducer(state, deliver(log, index, how[i] ?? { mode: 'live', width: 1, lag: 0 })),
    emptyRoom(ROOM),
  );
}

describe('the room reducer, fed any order of its entries', () => {
  it('holds each seq once, in seq order', () => {
    fc.assert(
      fc.property(scenario, ({ log, order, again, at, how }) => {
        const seqs = play(log, order, again, at, how).timeline.messages.map((m) => m.seq);
        expect(seqs.every((seq) => seq !== undefined)).toBe(true);
        for (let i = 1; i < seqs.length; i++) {
          expect(seqs[i] as number).toBeGreaterThan(seqs[i - 1] as number);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('shows every message as the log left it once every entry has arrived', () => {
    fc.assert(
      fc.property(scenario, ({ log, order, again, at, how }) => {
        const state = play(log, order, again, at, how);
        expect(shown(state)).toEqual(shownAsLeft(log, 0));
        // Every entry of the log is held: no gap left, nothing to fetch.
        expect(state.timeline.messages.map((m) => m.seq)).toEqual(log.entries.map((e) => e.seq));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * A join that is not a recovery (a first join, too much missed, a reset history), whatever the
 * room held before it: the socket hears the room from `subscribed` on, the server reads the page
 * at `read` (no earlier), and its answer comes once the live entries up to `answered` were
 * heard; the rest come live after it. Right after the answer the room holds exactly the page and
 * what was heard past it, each once, in order, all of the history answered (nothing held from a
 * reset one), up to `lastSeq`; once every entry has arrived, it shows them as the log left them.
 */
interface FreshJoin {
  log: Log;
  /** Held before the join: entries of another history (reset), or the first ones of this one. */
  held: HistoryEntry[];
  subscribed: number;
  read: number;
  answered: number;
  /** The page's oldest entry is the one after this `seq` (at most `subscribed`). */
  pageAfter: number;
}

const freshJoin: fc.Arbitrary<FreshJoin> = fc
  .record({
    steps: fc.array(step, { minLength: 1, maxLength: 40 }),
    old: fc.array(step, { maxLength: 30 }),
    reset: fc.boolean(),
    cuts: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    width: fc.integer({ min: 1, max: 45 }),
  })
  .map(({ steps, old, reset, cuts: [a = 0, b = 0, c = 0, d = 0], width }) => {
    const log = buildLog(steps);
    const n = log.entries.length;
    const subscribed = a % (n + 1);
    const read = subscribed + (b % (n - subscribed + 1));
    const answered = subscribed + (c % (n - subscribed + 1));
    const held = reset ? buildLog(old, 'old-').entries : log.entries.slice(0, d % (subscribed + 1));
    // The page reaches back to where the socket began to hear the room (it is read right after,
    // and a page is wider than what comes in between): whatever is heard fits next to it.
    const pageAfter = Math.max(0, Math.min(subscribed, read - width));
    return { log, held, subscribed, read, answered, pageAfter };
  });

describe('the room reducer, fed a join that is not a recovery', () => {
  it('holds the page and what was heard past it, then every entry as the log left it', () => {
    fc.assert(
      fc.property(freshJoin, ({ log, held, subscribed, read, answered, pageAfter }) => {
        const { entries } = log;
        let state = [joinAnswered([], 0, false, false), ...held.map(live)].reduce(
          roomReducer,
          emptyRoom(ROOM),
        );
        state = roomReducer(state, { type: 'disconnected' });
        state = entries.slice(subscribed, answered).map(live).reduce(roomReducer, state);
        const page = entries.slice(pageAfter, read).map((entry) => readAt(log, entry, read));
        state = roomReducer(state, joinAnswered(page, read, pageAfter > 0, false));

        const newest = Math.max(read, answered);
        expect(state.timeline.messages.map((m) => m.seq)).toEqual(range(pageAfter + 1, newest));
        for (const m of state.timeline.messages) {
          // Of the history answered: a change heard live has no id yet.
          if (m.id !== undefined) expect(m.id).toBe(entries[(m.seq ?? 0) - 1]?.id);
        }
        expect(state.timeline).toMatchObject({ lastSeq: newest, gaps: [], heardWhileJoining: [] });

        state = entries.slice(answered).map(live).reduce(roomReducer, state);
        expect(state.timeline.messages.map((m) => m.seq)).toEqual(range(pageAfter + 1, n(log)));
        expect(shown(state)).toEqual(shownAsLeft(log, pageAfter));
        expect(state.timeline.gaps).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

const n = (log: Log) => log.entries.length;

/**
 * Presence: whoever comes and goes, however the server batches it (a lone change as
 * `presence:joined`/`presence:left`, several in one window as one `presence:changed`, with each
 * user once, where they ended up, in any order within the event), the room's members are always
 * exactly who is present. And a room that was in `count` presence, then back in `members`, ends
 * with exactly who is present once its list is fetched again, whenever the fetch was read and
 * whatever arrived while it was on its way.
 */
const PEOPLE: Member[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({
  id,
  name: id.toUpperCase(),
}));

interface PresenceHistory {
  initial: Set<string>;
  /** Each window's toggles (a user arriving if absent, leaving if present). */
  windows: number[][];
  /** Users who came and went within a window (no change) listed in its event anyway. */
  noise: boolean[];
  /** Sort keys to shuffle each event's lists. */
  order: number[];
}

const presenceHistory: fc.Arbitrary<PresenceHistory> = fc.record({
  initial: fc.subarray(PEOPLE.map((p) => p.id)).map((ids) => new Set(ids)),
  windows: fc.array(fc.array(fc.nat({ max: PEOPLE.length - 1 }), { minLength: 1, maxLength: 6 }), {
    maxLength: 12,
  }),
  noise: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
});

function person(id: string): Member {
  return PEOPLE.find((p) => p.id === id) as Member;
}

/**
 * The truths (who is present before any window, then after each one) and the events the server
 * sends, each with the truth after its window (a window that changed nothing sends nothing).
 */
function eventTruths({ initial, windows, noise, order }: PresenceHistory) {
  const truths = [new Set(initial)];
  const paired: { event: RoomAction; truth: Set<string> }[] = [];
  const shuffle = (members: Member[]) =>
    members
      .map((m, i) => ({ m, key: order[PEOPLE.indexOf(m)] ?? i }))
      .sort((x, y) => x.key - y.key)
      .map(({ m }) => m);
  windows.forEach((toggles, w) => {
    const before = truths.at(-1) as Set<string>;
    const after = new Set(before);
    const touched = new Set<string>();
    for (const index of toggles) {
      const id = (PEOPLE[index] as Member).id;
      touched.add(id);
      if (after.has(id)) after.delete(id);
      else after.add(id);
    }
    truths.push(after);
    const joined: Member[] = [];
    const left: Member[] = [];
    for (const id of touched) {
      const changed = before.has(id) !== after.has(id);
      if (!changed && !noise[w]) continue;
      (after.has(id) ? joined : left).push(person(id));
    }
    if (joined.length + left.length === 0) return;
    const member = joined[0] ?? left[0];
    const event: RoomAction =
      joined.length + left.length === 1 && member
        ? {
            type: joined.length ? 'presence:joined' : 'presence:left',
            payload: { room: ROOM, member },
          }
        : {
            type: 'presence:changed',
            payload: { room: ROOM, joined: shuffle(joined), left: shuffle(left) },
          };
    paired.push({ event, truth: after });
  });
  return { truths, paired };
}

const idsOf = (state: RoomState) => state.members.map((m) => m.id);
const sorted = (ids: Iterable<string>) => [...ids].sort();

function joinedWith(presence: 'members' | 'count', members: Member[], memberCount: number) {
  return roomReducer(emptyRoom(ROOM), {
    type: 'join',
    me: 'nobody',
    result: {
      ok: true,
      room: {
        name: ROOM,
        topic: null,
        memberCount,
        visibility: 'public',
        readOnly: false,
        presence,
        lastSeq: 0,
        role: null,
      },
      messages: [],
      members,
      hasMore: false,
      recovered: false,
    },
  });
}

describe('the room reducer, fed arrivals and departures however batched', () => {
  it('holds exactly who is present after every event, each once', () => {
    fc.assert(
      fc.property(presenceHistory, (history) => {
        const { truths, paired } = eventTruths(history);
        let state = joinedWith('members', [...(truths[0] ?? [])].map(person), truths[0]?.size ?? 0);
        for (const { event, truth } of paired) {
          state = roomReducer(state, event);
          expect(sorted(idsOf(state))).toEqual(sorted(truth));
          expect(new Set(idsOf(state)).size).toBe(state.members.length);
        }
        expect(sorted(idsOf(state))).toEqual(sorted(truths.at(-1) ?? []));
        expect(state.membersStatus).toBe('live');
      }),
      { numRuns: 300 },
    );
  });

  it('after count presence, ends with exactly who is present once the list is fetched again', () => {
    fc.assert(
      fc.property(
        presenceHistory,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.subarray(PEOPLE.map((p) => p.id)),
        (history, flipAt, readAt, appliedAt, sample) => {
          const { truths, paired } = eventTruths(history);
          const n = paired.length;
          // Events before the flip are not sent (count presence); from it on, they are.
          const flip = flipAt % (n + 1);
          // The fetch reads the list after some of the events sent since, and its answer is
          // applied after as many or more of them.
          const read = flip + (readAt % (n - flip + 1));
          const applied = read + (appliedAt % (n - read + 1));
          const truthAt = (i: number) => (i === 0 ? truths[0] : paired[i - 1]?.truth) ?? new Set();
          let state = joinedWith('count', sample.map(person), 200);
          expect(state.membersStatus).toBe('sample');
          state = roomReducer(state, {
            type: 'room:updated',
            payload: {
              room: ROOM,
              topic: null,
              memberCount: truthAt(flip).size,
              visibility: 'public',
              readOnly: false,
              presence: 'members',
            },
          });
          expect(state.membersStatus).toBe('stale');
          for (let i = flip; i < n; i++) {
            if (i === applied) state = fetched(state, truthAt(read));
            state = roomReducer(state, (paired[i] as { event: RoomAction }).event);
          }
          if (applied === n) state = fetched(state, truthAt(read));
          expect(state.membersStatus).toBe('live');
          expect(sorted(idsOf(state))).toEqual(sorted(truthAt(n)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

function fetched(state: RoomState, present: Set<string>): RoomState {
  const members = [...present].map(person);
  return roomReducer(state, {
    type: 'membersFetched',
    result: { ok: true, members, memberCount: members.length },
  });
}
