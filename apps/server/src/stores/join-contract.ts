/**
 * What a join reads in one step, held to one contract for every store: each implementation's
 * test file calls `describeJoinContract` with a factory (like test/store-contract.ts).
 */
import type { HistoryEntry, Member } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppendResult, HistoryStore, JoinHistory, RoomRef, Stores } from './types';

const ana: Member = { id: 'ana', name: 'Ana' };
/** Each test, and each generative run, takes rooms of its own. */
let rooms = 0;
const freshRoom = (): RoomRef => ({ workspace: 'join', room: `r${++rooms}` });

function seqOf(result: AppendResult): number {
  if (!('message' in result)) throw new Error('refused');
  return result.message.seq;
}

async function appendMessages(history: HistoryStore, ref: RoomRef, count: number) {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) {
    const clientMsgId = `c${i}-${Math.random().toString(36).slice(2)}`;
    seqs.push(seqOf(await history.append(ref, { author: ana, text: `m${i}`, clientMsgId })));
  }
  return seqs;
}

/** The seqs of a join's entries, for comparing. */
const seqs = (entries: readonly HistoryEntry[]) => entries.map((entry) => entry.seq);

/**
 * What a join read before `forJoin`, call by call: the entry at `since` (a page of one before
 * `since + 1`), what came after it (`since`), else the latest page; and `lastSeq`. With nothing
 * appended meanwhile, `forJoin` answers exactly this.
 */
async function oneCallAtATime(
  history: HistoryStore,
  ref: RoomRef,
  query: { since?: number; sinceId?: string; pageLimit: number; recoveryMax: number },
): Promise<JoinHistory> {
  const { since, sinceId, pageLimit, recoveryMax } = query;
  let recovered: HistoryEntry[] | undefined;
  if (since !== undefined) {
    let known = true;
    if (sinceId !== undefined && since > 0) {
      const { messages } = await history.page(ref, { before: since + 1, limit: 1 });
      known = messages[0]?.seq === since && messages[0].id === sinceId;
    }
    if (known) recovered = await history.since(ref, since, recoveryMax);
  }
  const lastSeq = await history.lastSeq(ref);
  if (recovered) return { lastSeq, recovered };
  return { lastSeq, page: await history.page(ref, { limit: pageLimit }) };
}

/** What holds of any join's history, whatever was appended around it. */
function expectCoherent(
  answer: JoinHistory,
  { since, retention }: { since?: number; retention: number },
) {
  const { lastSeq } = answer;
  if (answer.recovered) {
    expect(since).toBeDefined();
    // Exactly what came after `since`, up to the last seq of the same moment.
    expect(seqs(answer.recovered)).toEqual(
      Array.from({ length: lastSeq - (since ?? 0) }, (_, i) => (since ?? 0) + 1 + i),
    );
    return;
  }
  const { messages, hasMore } = answer.page;
  // The newest entries, ending with the last seq of the same moment, gap-free.
  const first = messages[0]?.seq ?? lastSeq + 1;
  expect(seqs(messages)).toEqual(Array.from({ length: messages.length }, (_, i) => first + i));
  if (lastSeq > 0) expect(messages.at(-1)?.seq).toBe(lastSeq);
  // Older entries exist exactly when retention kept some before the first one.
  expect(hasMore).toBe(first > Math.max(1, lastSeq - retention + 1));
}

export function describeJoinContract(
  name: string,
  makeStores: (limits: { historyRetention: number }) => Promise<Stores>,
  /** A second store on the same data (another node), when the implementation has one. */
  makePeer?: (stores: Stores) => Promise<Stores>,
): void {
  describe(`${name}: history for a join`, () => {
    it('recovers what came after since, or else answers the latest page, with the last seq', async () => {
      const { history, close } = await makeStores({ historyRetention: 4 });
      const ref = freshRoom();
      const join = (query: { since?: number; sinceId?: string }) =>
        history.forJoin(ref, { pageLimit: 2, recoveryMax: 3, ...query });
      // An empty room: nothing to recover from 0, an empty page, seq 0.
      expect(await join({})).toEqual({ lastSeq: 0, page: { messages: [], hasMore: false } });
      expect(await join({ since: 0 })).toEqual({ lastSeq: 0, recovered: [] });
      expect(await join({ since: 1 })).toEqual({
        lastSeq: 0,
        page: { messages: [], hasMore: false },
      });

      await appendMessages(history, ref, 6); // seqs 1..6, 3..6 retained
      const { messages } = await history.page(ref, { limit: 10 });
      const idAt = (seq: number) => messages.find((entry) => entry.seq === seq)?.id;
      const latest = { lastSeq: 6, page: { messages: messages.slice(-2), hasMore: true } };

      const recovered = await join({ since: 4, sinceId: idAt(4) });
      expect(recovered.lastSeq).toBe(6);
      expect(seqs(recovered.recovered ?? [])).toEqual([5, 6]);
      expect(await join({ since: 6, sinceId: idAt(6) })).toEqual({ lastSeq: 6, recovered: [] });
      expect(seqs((await join({ since: 3 })).recovered ?? [])).toEqual([4, 5, 6]);
      // Without an id to check, a recovery is judged by seqs alone.
      expect(seqs((await join({ since: 5 })).recovered ?? [])).toEqual([6]);
      // More than recoveryMax missed; a future seq.
      expect(await join({ since: 2 })).toEqual(latest);
      expect(await join({ since: 7 })).toEqual(latest);
      // The first missed entry fell out of retention: the gap cannot be filled.
      const past = { pageLimit: 2, recoveryMax: 10 };
      expect(await history.forJoin(ref, { since: 1, ...past })).toEqual(latest);
      expect(seqs((await history.forJoin(ref, { since: 2, ...past })).recovered ?? [])).toEqual([
        3, 4, 5, 6,
      ]);
      // Another entry at since (the history was reset): start over.
      expect(await join({ since: 4, sinceId: idAt(5) })).toEqual(latest);
      expect(await join({ since: 6, sinceId: 'not-it' })).toEqual(latest);
      // The entry at since fell out of retention: it cannot be checked, so no recovery.
      expect(await history.forJoin(ref, { since: 2, sinceId: 'gone', ...past })).toEqual(latest);
      // Since 0 has no entry to check: the id is not looked at.
      const fromStart = freshRoom();
      await appendMessages(history, fromStart, 2);
      const all = await history.forJoin(fromStart, {
        since: 0,
        sinceId: 'anything',
        pageLimit: 1,
        recoveryMax: 5,
      });
      expect(seqs(all.recovered ?? [])).toEqual([1, 2]);
      // Without since: the latest page, and whether older entries exist.
      expect(await join({})).toEqual(latest);
      expect(await history.forJoin(ref, { pageLimit: 10, recoveryMax: 3 })).toEqual({
        lastSeq: 6,
        page: { messages, hasMore: false },
      });
      await close();
    });

    it('answers what the calls it replaces answered, one at a time (generative)', async () => {
      const retentions = [3, 100];
      const opened = await Promise.all(
        retentions.map((historyRetention) => makeStores({ historyRetention })),
      );
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              store: fc.integer({ min: 0, max: retentions.length - 1 }),
              appended: fc.integer({ min: 0, max: 9 }),
              // Messages edited: each appends a change entry.
              edits: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }),
              since: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
              sinceId: fc.constantFrom('right', 'wrong', 'none'),
              pageLimit: fc.integer({ min: 1, max: 6 }),
              recoveryMax: fc.integer({ min: 0, max: 8 }),
            }),
            async ({ store, appended, edits, since, sinceId, pageLimit, recoveryMax }) => {
              const { history } = opened[store] as Stores;
              const retention = retentions[store] as number;
              const ref = freshRoom();
              await appendMessages(history, ref, appended);
              for (const seq of edits) {
                await history.amend(ref, seq, (message) => ({ ...message, text: 'edited' }), {
                  action: 'edit',
                  by: ana,
                });
              }
              const stored = since === undefined ? undefined : await entryAt(history, ref, since);
              const query = {
                since,
                sinceId:
                  sinceId === 'none'
                    ? undefined
                    : sinceId === 'right'
                      ? (stored?.id ?? 'absent')
                      : `wrong-${stored?.id ?? 'absent'}`,
                pageLimit,
                recoveryMax,
              };
              const answer = await history.forJoin(ref, query);
              expect(answer).toEqual(await oneCallAtATime(history, ref, query));
              expectCoherent(answer, { since, retention });
            },
          ),
          { numRuns: 80, seed: 20261202 },
        );
      } finally {
        await Promise.all(opened.map((stores) => stores.close()));
      }
    });

    it('reads one moment while others append: the last seq is that of the last entry', async () => {
      const retention = 20;
      const stores = await makeStores({ historyRetention: retention });
      const writer = makePeer ? await makePeer(stores) : stores;
      const ref = freshRoom();
      try {
        await appendMessages(stores.history, ref, 5);
        let writing = true;
        const appending = (async () => {
          let i = 0;
          while (writing) {
            await writer.history.append(ref, { author: ana, text: 'x', clientMsgId: `w${i++}` });
          }
        })();
        let recoveries = 0;
        for (let i = 0; i < 60; i++) {
          const since = Math.max(0, (await stores.history.lastSeq(ref)) - (i % 4));
          const query = { since: i % 3 === 0 ? undefined : since, pageLimit: 4, recoveryMax: 10 };
          const answer = await stores.history.forJoin(ref, query);
          expectCoherent(answer, { since: query.since, retention });
          if (answer.recovered) recoveries++;
        }
        writing = false;
        await appending;
        expect(recoveries).toBeGreaterThan(0);
      } finally {
        if (writer !== stores) await writer.close();
        await stores.close();
      }
    });
  });

  describe(`${name}: presence for a join`, () => {
    const member = (i: number): Member => ({ id: `u${i}`, name: `U${i}` });

    it('adds like add, answering the count and who is there, the newcomer among them', async () => {
      const { presence, close } = await makeStores({ historyRetention: 10 });
      const ref = freshRoom();
      expect(await presence.enter(ref, ana, 's1', 5)).toEqual({
        arrived: true,
        count: 1,
        members: [ana],
      });
      // A second connection, the same one again: not an arrival.
      const renamed = { id: 'ana', name: 'Ana B.' };
      expect(await presence.enter(ref, renamed, 's2', 5)).toEqual({
        arrived: false,
        count: 1,
        members: [renamed],
      });
      expect((await presence.enter(ref, renamed, 's2', 5)).arrived).toBe(false);
      const bo = await presence.enter(ref, member(1), 's3', 5);
      expect(bo.arrived).toBe(true);
      expect(bo.count).toBe(2);
      expect(bo.members.map((m) => m.id).sort()).toEqual(['ana', 'u1']);
      // Only the count when no member is asked for.
      expect(await presence.enter(ref, member(2), 's4', 0)).toEqual({
        arrived: true,
        count: 3,
        members: [],
      });
      // Connections of one user come and go; the last one's going leaves a grace.
      expect(await presence.remove(ref, 'ana', 's1')).toBe('stayed');
      expect(await presence.remove(ref, 'ana', 's9')).toBe('stayed');
      expect(await presence.remove(ref, 'ana', 's2', 60_000)).toBe('leaving');
      expect(await presence.count(ref)).toBe(3);
      // Back within it: counted all along, not an arrival.
      expect(await presence.enter(ref, ana, 's5', 5)).toMatchObject({ arrived: false, count: 3 });
      expect(await presence.enter(ref, ana, 's6', 5)).toMatchObject({ arrived: false, count: 3 });
      expect(await presence.remove(ref, 'ana', 's5')).toBe('stayed');
      expect(await presence.remove(ref, 'ana', 's6')).toBe('left');
      expect(await presence.count(ref)).toBe(2);
      await close();
    });

    it('answers the room as it is after any joins, leaves and renames, on either node (generative)', async () => {
      const stores = await makeStores({ historyRetention: 10 });
      const peer = makePeer ? await makePeer(stores) : stores;
      const nodes = [stores, peer];
      const byId = (members: readonly Member[]) =>
        [...members].sort((a, b) => a.id.localeCompare(b.id));
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                node: fc.integer({ min: 0, max: 1 }),
                // Few users, each often on several connections: most joins change nothing,
                // and are answered from the list their node holds (stores that keep one),
                // which every leave and rename on either node must have made stale.
                user: fc.integer({ min: 0, max: 2 }),
                leaves: fc.boolean(),
                /** Which open connection a leave closes. */
                pick: fc.nat(),
                renamed: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
                // 2: a room of all three users is sampled.
                max: fc.constantFrom(2, 100),
              }),
              { minLength: 1, maxLength: 40 },
            ),
            async (steps) => {
              const ref = freshRoom();
              // The model: open connections (whose, on which node), and each user's name as
              // their latest connection gave it.
              const open = new Map<string, { node: number; userId: string }>();
              const names = new Map<string, string>();
              const expected = () => {
                const present = new Set([...open.values()].map((held) => held.userId));
                return byId([...present].map((id) => ({ id, name: names.get(id) ?? '' })));
              };
              let connections = 0;
              for (const step of steps) {
                if (step.leaves) {
                  const closing = [...open.keys()][step.pick % Math.max(1, open.size)];
                  const held = closing === undefined ? undefined : open.get(closing);
                  if (closing === undefined || !held) continue;
                  await nodes[held.node]?.presence.remove(ref, held.userId, closing);
                  open.delete(closing);
                  expect(byId(await stores.presence.members(ref))).toEqual(expected());
                  continue;
                }
                const connectionId = `c${++connections}`;
                const joiner = {
                  id: `u${step.user}`,
                  name: `U${step.user}${step.renamed ? '′' : ''}`,
                };
                const entered = await nodes[step.node]?.presence.enter(
                  ref,
                  joiner,
                  connectionId,
                  step.max,
                );
                open.set(connectionId, { node: step.node, userId: joiner.id });
                names.set(joiner.id, joiner.name);
                const room = expected();
                expect(entered?.count).toBe(room.length);
                const members = entered?.members ?? [];
                if (room.length <= step.max) expect(byId(members)).toEqual(room);
                else {
                  expect(members).toHaveLength(step.max);
                  for (const member of members) expect(room).toContainEqual(member);
                }
                expect(members).toContainEqual(joiner);
              }
            },
          ),
          { numRuns: 60, seed: 20261203 },
        );
      } finally {
        if (peer !== stores) await peer.close();
        await stores.close();
      }
    });

    it('samples a room past the limit, always with the newcomer (generative)', async () => {
      const { presence, close } = await makeStores({ historyRetention: 10 });
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: 14 }),
            fc.integer({ min: 1, max: 6 }),
            fc.boolean(),
            async (others, max, returning) => {
              const ref = freshRoom();
              for (let i = 0; i < others; i++) await presence.add(ref, member(i), `s${i}`);
              // A newcomer, or one of those there with another connection.
              const joiner = returning && others > 0 ? member(others - 1) : member(99);
              const entered = await presence.enter(ref, joiner, 'joining', max);
              const count = others + (joiner.id === 'u99' ? 1 : 0);
              expect(entered.arrived).toBe(joiner.id === 'u99');
              expect(entered.count).toBe(count);
              expect(await presence.count(ref)).toBe(count);
              const ids = entered.members.map((m) => m.id);
              expect(ids).toHaveLength(Math.min(count, max));
              expect(new Set(ids).size).toBe(ids.length);
              expect(ids).toContain(joiner.id);
              const present = new Set((await presence.members(ref)).map((m) => m.id));
              for (const id of ids) expect(present.has(id)).toBe(true);
              expect(await presence.members(ref, max)).toHaveLength(Math.min(count, max));
            },
          ),
          { numRuns: 40, seed: 20261203 },
        );
      } finally {
        await close();
      }
    });
  });

  describe(`${name}: a join's reads together`, () => {
    /** Any text: lone surrogates (ill-formed UTF-16), quotes and backslashes among it. */
    const anyText = (maxLength: number) =>
      fc.string({
        unit: fc.oneof(
          fc.constantFrom('\ud800', '\udfff', '"', '\\'),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
        maxLength,
      });

    it('answers what presence.enter, rooms.get and history.forJoin answer, for any room and entrant (generative)', async () => {
      const retention = 6;
      const stores = await makeStores({ historyRetention: retention });
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              appended: fc.integer({ min: 0, max: 9 }),
              room: fc.option(
                fc.record({
                  topic: fc.option(anyText(40), { nil: null }),
                  visibility: fc.constantFrom('public' as const, 'private' as const),
                  readOnly: fc.boolean(),
                }),
                { nil: undefined },
              ),
              others: fc.integer({ min: 0, max: 4 }),
              entrant: fc.record({ id: anyText(20), name: anyText(30) }),
              returning: fc.boolean(),
              membersMax: fc.constantFrom(0, 2, 100),
              since: fc.option(fc.integer({ min: 0, max: 11 }), { nil: undefined }),
              sinceId: fc.constantFrom('right', 'wrong', 'none'),
              pageLimit: fc.integer({ min: 1, max: 4 }),
              recoveryMax: fc.integer({ min: 0, max: 6 }),
            }),
            async (c) => {
              const ref = freshRoom();
              const entrant: Member = { id: `e${c.entrant.id}`, name: c.entrant.name };
              await appendMessages(stores.history, ref, c.appended);
              if (c.room) await stores.rooms.create(ref, { ...c.room, maxRooms: 1_000_000 });
              for (let i = 0; i < c.others; i++) {
                await stores.presence.add(ref, { id: `u${i}`, name: `U${i}` }, `o${i}`);
              }
              if (c.returning) await stores.presence.add(ref, entrant, 'earlier');
              const stored =
                c.since === undefined ? undefined : await entryAt(stores.history, ref, c.since);
              const query = {
                since: c.since,
                sinceId:
                  c.sinceId === 'none'
                    ? undefined
                    : c.sinceId === 'right'
                      ? (stored?.id ?? 'absent')
                      : `wrong-${stored?.id ?? 'absent'}`,
                pageLimit: c.pageLimit,
                recoveryMax: c.recoveryMax,
              };

              const entered = await stores.joins.enter(
                ref,
                { member: entrant, connectionId: 'joining', membersMax: c.membersMax },
                query,
              );

              // The history and the room as the stores answer them on their own (nothing was
              // appended or changed since).
              expect(entered.history).toEqual(await oneCallAtATime(stores.history, ref, query));
              expectCoherent(entered.history, { since: c.since, retention });
              expect(entered.record).toEqual(await stores.rooms.get(ref));
              expect(entered.record !== undefined).toBe(c.room !== undefined);
              // The presence as `enter` answers it: the entrant counted, arrived only when new.
              const count = c.others + 1;
              expect(entered.presence.arrived).toBe(!c.returning);
              expect(entered.presence.count).toBe(count);
              expect(await stores.presence.count(ref)).toBe(count);
              const ids = entered.presence.members.map((member) => member.id);
              expect(ids).toHaveLength(Math.min(count, c.membersMax));
              if (c.membersMax > 0) expect(entered.presence.members).toContainEqual(entrant);
              // The connection is recorded: its going is the entrant's last but one (or last).
              expect(await stores.presence.remove(ref, entrant.id, 'joining')).toBe(
                c.returning ? 'stayed' : 'left',
              );
            },
          ),
          { numRuns: 60, seed: 20261203 },
        );
      } finally {
        await stores.close();
      }
    });

    it('answers a room the joiner has entered before on another node', async () => {
      const stores = await makeStores({ historyRetention: 10 });
      const peer = makePeer ? await makePeer(stores) : stores;
      const ref = freshRoom();
      try {
        await stores.rooms.create(ref, { maxRooms: 10, topic: 'here' });
        const appended = await appendMessages(peer.history, ref, 3);
        const first = await peer.joins.enter(
          ref,
          { member: ana, connectionId: 'p1', membersMax: 10 },
          { pageLimit: 2, recoveryMax: 5 },
        );
        expect(first.presence).toEqual({ arrived: true, count: 1, members: [ana] });
        const again = await stores.joins.enter(
          ref,
          { member: ana, connectionId: 's1', membersMax: 10 },
          { since: appended[0], pageLimit: 2, recoveryMax: 5 },
        );
        expect(again.presence).toEqual({ arrived: false, count: 1, members: [ana] });
        expect(again.record?.topic).toBe('here');
        expect(again.history.lastSeq).toBe(3);
        expect(again.history.recovered?.map((entry) => entry.seq)).toEqual([2, 3]);
      } finally {
        if (peer !== stores) await peer.close();
        await stores.close();
      }
    });
  });
}

/** The entry stored at `seq`, if retained. */
async function entryAt(history: HistoryStore, ref: RoomRef, seq: number) {
  const { messages } = await history.page(ref, { before: seq + 1, limit: 1 });
  return messages[0]?.seq === seq ? messages[0] : undefined;
}
