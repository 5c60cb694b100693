/**
 * One behaviour for every store implementation: each implementation's test file calls these
 * with a factory, so memory and Redis are held to the same contract.
 */
import type { Member } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AppendedEntry,
  AppendResult,
  NodeReport,
  Stored,
  Stores,
  WebhookDelivery,
  WebhookQueue,
} from '../src/stores/types';
import { messagesOf } from './helpers';

const ana: Member = { id: 'ana', name: 'Ana' };
const bo: Member = { id: 'bo', name: 'Bo' };
const general = { workspace: 'acme', room: 'general' };
const random = { workspace: 'acme', room: 'random' };
/** Generative tests draw a fresh workspace per run, so runs never see each other's rooms. */
let workspaces = 0;

/** The answer of an append that was not refused (every append without a rate). */
function stored(result: AppendResult): Stored {
  if ('rateLimited' in result) throw new Error(`refused: retry after ${result.retryAfterMs} ms`);
  if ('readOnly' in result) throw new Error('refused: read-only room');
  return result;
}

/** Waits until `done` holds (a feed may be asynchronous: Redis pub/sub). */
async function until(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

export function describeStoreContract(
  name: string,
  makeStores: (limits: { historyRetention: number }) => Promise<Stores>,
): void {
  const open = (overrides: Partial<{ historyRetention: number }> = {}) =>
    makeStores({ historyRetention: 100, ...overrides });

  describe(`${name}: history`, () => {
    it('stores, trims and pages whatever code units a message and its author hold', async () => {
      const { history, close } = await open({ historyRetention: 3 });
      const anything = fc.string({ unit: 'binary', maxLength: 40 });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ text: anything, name: anything }), { minLength: 1, maxLength: 8 }),
          async (drafts) => {
            const ref = { workspace: 'acme', room: `r${++workspaces}` };
            for (const [i, { text, name }] of drafts.entries()) {
              const author = { id: `u${i % 3}`, name };
              const result = stored(
                await history.append(ref, { author, text, clientMsgId: `c${i}` }),
              );
              expect(result).toMatchObject({ created: true, message: { seq: i + 1 } });
            }
            // Past retention the oldest were dropped, and the rest read back as written.
            const { messages } = await history.page(ref, { limit: 10 });
            expect(messages.map((m) => m.seq)).toEqual(drafts.map((_, i) => i + 1).slice(-3));
            expect(messagesOf(messages).at(-1)?.clientMsgId).toBe(`c${drafts.length - 1}`);
            const last = stored(
              await history.append(ref, { author: ana, text: 'ok', clientMsgId: 'end' }),
            );
            expect(last.message.seq).toBe(drafts.length + 1);
          },
        ),
        { numRuns: 60, seed: 20261201 },
      );
      await close();
    });

    it('numbers messages 1, 2, 3 per room, separately per room and workspace', async () => {
      const { history, close } = await open();
      const seqs = [];
      for (let i = 0; i < 3; i++) {
        seqs.push(
          stored(
            await history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` }),
          ).message.seq,
        );
      }
      expect(seqs).toEqual([1, 2, 3]);
      const other = stored(
        await history.append(random, { author: ana, text: 'x', clientMsgId: 'c0' }),
      );
      const elsewhere = stored(
        await history.append(
          { workspace: 'other', room: 'general' },
          { author: ana, text: 'x', clientMsgId: 'c0' },
        ),
      );
      expect([other.message.seq, elsewhere.message.seq]).toEqual([1, 1]);
      expect(await history.lastSeq(general)).toBe(3);
      await close();
    });

    it('is idempotent per author and clientMsgId', async () => {
      const { history, close } = await open();
      const first = stored(
        await history.append(general, { author: ana, text: 'hi', clientMsgId: 'same' }),
      );
      const again = await history.append(general, {
        author: ana,
        text: 'changed',
        clientMsgId: 'same',
      });
      const boSame = stored(
        await history.append(general, { author: bo, text: 'hi', clientMsgId: 'same' }),
      );
      expect(first.created).toBe(true);
      expect(again).toEqual({ message: first.message, created: false });
      expect(boSame.created).toBe(true);
      expect(boSame.message.seq).toBe(2);
      await close();
    });

    it('assigns unique consecutive seqs under concurrent appends', async () => {
      const { history, close } = await open();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` }),
        ),
      );
      expect(results.map((r) => stored(r).message.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      await close();
    });

    it('pages backwards and reports older messages', async () => {
      const { history, close } = await open();
      for (let i = 1; i <= 5; i++)
        await history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` });
      expect(await history.page(general, { limit: 2 })).toMatchObject({ hasMore: true });
      expect((await history.page(general, { limit: 2 })).messages.map((m) => m.seq)).toEqual([
        4, 5,
      ]);
      expect(
        (await history.page(general, { before: 4, limit: 2 })).messages.map((m) => m.seq),
      ).toEqual([2, 3]);
      const last = await history.page(general, { before: 2, limit: 2 });
      expect(last.messages.map((m) => m.seq)).toEqual([1]);
      expect(last.hasMore).toBe(false);
      expect(await history.page({ workspace: 'acme', room: 'none' }, { limit: 10 })).toEqual({
        messages: [],
        hasMore: false,
      });
      await close();
    });

    it('recovers what came after since, or answers undefined when it cannot', async () => {
      const { history, close } = await open({ historyRetention: 4 });
      for (let i = 1; i <= 6; i++)
        await history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` });
      expect((await history.since(general, 4, 10))?.map((m) => m.seq)).toEqual([5, 6]);
      expect(await history.since(general, 6, 10)).toEqual([]);
      expect((await history.since(general, 2, 10))?.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
      expect(await history.since(general, 1, 10)).toBeUndefined(); // seq 2 fell out of retention
      expect(await history.since(general, 3, 2)).toBeUndefined(); // more than max
      expect(await history.since(general, 9, 10)).toBeUndefined(); // unknown future
      await close();
    });

    it('keeps only the newest messages up to the retention, and forgets their clientMsgIds', async () => {
      const { history, close } = await open({ historyRetention: 3 });
      for (let i = 1; i <= 5; i++)
        await history.append(general, { author: ana, text: `m${i}`, clientMsgId: `c${i}` });
      const page = await history.page(general, { limit: 10 });
      expect(messagesOf(page.messages).map((m) => m.text)).toEqual(['m3', 'm4', 'm5']);
      expect(page.hasMore).toBe(false);
      expect(
        stored(await history.append(general, { author: ana, text: 'm5 again', clientMsgId: 'c5' }))
          .created,
      ).toBe(false);
      await close();
    });
  });

  describe(`${name}: presence`, () => {
    it('counts users, not connections', async () => {
      const { presence, close } = await open();
      expect(await presence.add(general, ana, 's1')).toBe(true);
      expect(await presence.add(general, ana, 's2')).toBe(false);
      expect(await presence.add(general, bo, 's3')).toBe(true);
      expect(await presence.count(general)).toBe(2);
      expect((await presence.members(general)).map((m) => m.id).sort()).toEqual(['ana', 'bo']);
      expect(await presence.remove(general, 'ana', 's1')).toBe('stayed');
      expect(await presence.remove(general, 'ana', 's1')).toBe('stayed');
      expect(await presence.remove(general, 'ana', 's2')).toBe('left');
      expect(await presence.members(general)).toEqual([bo]);
      expect(await presence.counts('acme', ['general'])).toEqual(new Map([['general', 1]]));
      expect(await presence.counts('other', ['general'])).toEqual(new Map([['general', 0]]));
      expect(await presence.counts('acme', [])).toEqual(new Map());
      await close();
    });

    it('lists at most the members asked for, and all of them below that', async () => {
      const { presence, close } = await open();
      for (let i = 0; i < 12; i++)
        await presence.add(general, { id: `u${i}`, name: `U${i}` }, `s${i}`);
      const some = await presence.members(general, 5);
      expect(some).toHaveLength(5);
      expect(new Set(some.map((m) => m.id)).size).toBe(5);
      expect((await presence.members(general, 12)).map((m) => m.id).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `u${i}`).sort(),
      );
      expect(await presence.members(general)).toHaveLength(12);
      await close();
    });

    it('pages through everyone present, also while others come and go, ending with no cursor', async () => {
      const { presence, close } = await open();
      // Past Redis's small-hash encoding (128 or 512 fields, by configuration), where HSCAN
      // walks in batches; ids of any script.
      const ids = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? `사용자${i}` : `u${i}`));
      for (const [i, id] of ids.entries()) await presence.add(general, { id, name: id }, `s${i}`);
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await presence.page(general, cursor, 25);
        expect(page.members.length).toBeLessThanOrEqual(25);
        // By id, after the cursor: nobody twice.
        for (const member of page.members) expect(seen.has(member.id)).toBe(false);
        for (const member of page.members) seen.add(member.id);
        // Someone new arrives and one of the first leaves between pages.
        await presence.add(general, { id: `late${pages}`, name: 'Late' }, `late${pages}`);
        await presence.remove(general, ids[pages] as string, `s${pages}`);
        cursor = page.nextCursor ?? undefined;
        if (cursor !== undefined) expect(cursor).toMatch(/^[A-Za-z0-9_-]{1,1024}$/);
        pages++;
      } while (cursor !== undefined && pages < 600);
      expect(cursor).toBeUndefined();
      expect(pages).toBeGreaterThan(3);
      // Everyone there throughout was met.
      for (const id of ids.slice(pages)) expect(seen).toContain(id);
      // An empty room is one last page.
      expect(await presence.page({ workspace: 'acme', room: 'empty' }, undefined, 25)).toEqual({
        members: [],
        nextCursor: null,
      });
      await close();
    });

    it('takes a cursor it never gave as a position or refuses it as invalid_payload', async () => {
      const { presence, close } = await open();
      await presence.add(general, ana, 's1');
      for (const cursor of ['0', 'abc', '9'.repeat(19), 'x'.repeat(1024), '-_-']) {
        const outcome = await presence.page(general, cursor, 10).then(
          (page) => page,
          (error: unknown) => error,
        );
        if (outcome instanceof Error) {
          expect(outcome).toMatchObject({ code: 'invalid_payload' });
        } else expect(Array.isArray((outcome as { members: unknown[] }).members)).toBe(true);
      }
      await close();
    });

    it('adding the same connection twice counts it once', async () => {
      const { presence, close } = await open();
      expect(await presence.add(general, ana, 's1')).toBe(true);
      expect(await presence.add(general, ana, 's1')).toBe(false);
      expect(await presence.remove(general, 'ana', 's1')).toBe('left');
      expect(await presence.count(general)).toBe(0);
      expect(await presence.counts('acme', ['general'])).toEqual(new Map([['general', 0]]));
      await close();
    });

    it('keeps rooms and workspaces apart, and the latest display name', async () => {
      const { presence, close } = await open();
      await presence.add(general, ana, 's1');
      await presence.add({ workspace: 'acme', room: 'random' }, bo, 's2');
      await presence.add({ workspace: 'other', room: 'general' }, bo, 's3');
      await presence.add(general, { id: 'ana', name: 'Ana B.' }, 's4');
      expect(await presence.members(general)).toEqual([{ id: 'ana', name: 'Ana B.' }]);
      expect(await presence.counts('acme', ['general', 'random', 'none'])).toEqual(
        new Map([
          ['general', 1],
          ['random', 1],
          ['none', 0],
        ]),
      );
      expect(await presence.counts('other', ['general'])).toEqual(new Map([['general', 1]]));
      await close();
    });

    it('keeps a user whose last connection dropped for the grace: back in time is no arrival', async () => {
      const { presence, close } = await open();
      await presence.add(general, ana, 's1');
      await presence.add(general, bo, 's2');
      expect(await presence.remove(general, 'ana', 's1', 60_000)).toBe('leaving');
      // Still there for everyone: counted, listed, and not settled before the grace ends.
      expect(await presence.count(general)).toBe(2);
      expect(await presence.counts('acme', ['general'])).toEqual(new Map([['general', 2]]));
      expect((await presence.members(general)).map((m) => m.id).sort()).toEqual(['ana', 'bo']);
      expect(await presence.settle(general, 'ana')).toBeUndefined();
      expect(await presence.sweep()).toEqual([]);
      // Back (on any node): no arrival, and nothing left to settle.
      expect(await presence.add(general, ana, 's3')).toBe(false);
      expect(await presence.settle(general, 'ana')).toBeUndefined();
      expect(await presence.remove(general, 'ana', 's3')).toBe('left');
      expect(await presence.count(general)).toBe(1);
      // A real arrival afterwards is one again.
      expect(await presence.add(general, ana, 's4')).toBe(true);
      await close();
    });

    it('ends a grace once, when it is over: by settle, or by a sweep on any node', async () => {
      const { presence, close } = await open();
      const random = { workspace: 'acme', room: 'random' };
      await presence.add(general, ana, 's1');
      await presence.add(random, ana, 's2');
      expect(await presence.remove(general, 'ana', 's1', 30)).toBe('leaving');
      expect(await presence.remove(random, 'ana', 's2', 30)).toBe('leaving');
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await presence.settle(general, 'ana')).toEqual(ana);
      expect(await presence.settle(general, 'ana')).toBeUndefined();
      expect(await presence.sweep()).toEqual([{ ref: random, member: ana }]);
      expect(await presence.sweep()).toEqual([]);
      expect(await presence.count(general)).toBe(0);
      expect(await presence.counts('acme', ['general', 'random'])).toEqual(
        new Map([
          ['general', 0],
          ['random', 0],
        ]),
      );
      expect(await presence.add(general, ana, 's3')).toBe(true);
      await close();
    });

    it('sweeps up nothing while no node died and nothing failed', async () => {
      const { presence, close } = await open();
      await presence.add(general, ana, 's1');
      expect(await presence.sweep()).toEqual([]);
      expect(await presence.count(general)).toBe(1);
      await close();
    });
  });

  describe(`${name}: occupancy`, () => {
    it('flips once per transition of the member count, per room', async () => {
      const { presence, occupancy, close } = await open();
      const random = { workspace: 'acme', room: 'random' };
      expect(await occupancy.mark(general, true)).toBe(false); // nobody there yet
      await presence.add(general, ana, 's1');
      expect(await occupancy.mark(general, true)).toBe(true);
      await presence.add(general, bo, 's2');
      expect(await occupancy.mark(general, true)).toBe(false); // already occupied
      expect(await occupancy.mark(random, true)).toBe(false); // another room, empty
      await presence.remove(general, 'ana', 's1');
      expect(await occupancy.mark(general, false)).toBe(false); // Bo is still there
      await presence.remove(general, 'bo', 's2');
      expect(await occupancy.mark(general, false)).toBe(true);
      expect(await occupancy.mark(general, false)).toBe(false);
      await close();
    });

    it('a late check after the room filled again changes nothing', async () => {
      const { presence, occupancy, close } = await open();
      await presence.add(general, ana, 's1');
      expect(await occupancy.mark(general, true)).toBe(true);
      // Ana leaves and Bo arrives before Ana's vacancy check runs: the room never looked empty.
      await presence.remove(general, 'ana', 's1');
      await presence.add(general, bo, 's2');
      expect(await occupancy.mark(general, false)).toBe(false);
      expect(await occupancy.mark(general, true)).toBe(false);
      await close();
    });
  });

  describe(`${name}: rooms`, () => {
    const unlimited = { maxRooms: 1_000_000 };

    it('creates rooms once, per workspace, keeps topics', async () => {
      const { rooms, close } = await open();
      expect(await rooms.create(general, unlimited)).toBe('created');
      expect(await rooms.create(general, unlimited)).toBe('exists');
      await rooms.create({ workspace: 'acme', room: 'random' }, unlimited);
      await rooms.create({ workspace: 'other', room: 'secret' }, unlimited);
      expect(await rooms.count('acme')).toBe(2);
      expect(
        (await rooms.page('acme', { limit: 10, visibility: 'public' })).rooms.map((r) => r.name),
      ).toEqual(['general', 'random']);
      expect(await rooms.get({ workspace: 'acme', room: 'secret' })).toBeUndefined();
      expect(await rooms.setTopic(general, 'Launch day')).toEqual({
        name: 'general',
        topic: 'Launch day',
        visibility: 'public',
        readOnly: false,
      });
      expect(await rooms.create(general, unlimited)).toBe('exists');
      expect(await rooms.get(general)).toEqual({
        name: 'general',
        topic: 'Launch day',
        visibility: 'public',
        readOnly: false,
      });
      await close();
    });

    it('refuses a new room once the workspace holds the most it may, in any race', async () => {
      const { rooms, close } = await open();
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          rooms.create({ workspace: 'acme', room: `r${i}` }, { maxRooms: 5 }),
        ),
      );
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(7);
      expect(await rooms.count('acme')).toBe(5);
      // An existing room is still "exists", and another workspace has its own limit.
      const made =
        (await rooms.page('acme', { limit: 10, visibility: 'public' })).rooms[0]?.name ?? '';
      expect(await rooms.create({ workspace: 'acme', room: made }, { maxRooms: 5 })).toBe('exists');
      expect(await rooms.create({ workspace: 'other', room: 'r0' }, { maxRooms: 5 })).toBe(
        'created',
      );
      await close();
    });

    it('setting a topic creates the room; clearing it answers null', async () => {
      const { rooms, close } = await open();
      const design = { workspace: 'acme', room: 'design' };
      await rooms.setTopic(design, 'Mockups');
      expect((await rooms.page('acme', { limit: 10, visibility: 'public' })).rooms).toEqual([
        { name: 'design', topic: 'Mockups', visibility: 'public', readOnly: false },
      ]);
      expect(await rooms.setTopic(design, null)).toEqual({
        name: 'design',
        topic: null,
        visibility: 'public',
        readOnly: false,
      });
      expect(await rooms.get(design)).toEqual({
        name: 'design',
        topic: null,
        visibility: 'public',
        readOnly: false,
      });
      await close();
    });

    it('pages through any set of names in order, by prefix and cursor, each exactly once', async () => {
      const { rooms, close } = await open();
      const name = fc
        .stringMatching(/^[a-c0-2_-][a-c0-2_-]{0,5}$/)
        .filter((n) => /^[a-z0-9]/.test(n));
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(name, { maxLength: 40 }),
          fc.integer({ min: 1, max: 7 }),
          fc.stringMatching(/^[a-c0-2_-]{0,2}$/),
          async (names, limit, prefix) => {
            const workspace = `w${++workspaces}`;
            for (const room of names) await rooms.create({ workspace, room }, unlimited);
            const seen: string[] = [];
            let cursor: string | undefined;
            for (let pages = 0; pages <= names.length + 1; pages++) {
              const page = await rooms.page(workspace, {
                after: cursor,
                prefix,
                limit,
                visibility: 'public',
              });
              expect(page.rooms.length).toBeLessThanOrEqual(limit);
              seen.push(...page.rooms.map((r) => r.name));
              if (page.next === null) break;
              cursor = page.next;
            }
            const expected = names.filter((n) => n.startsWith(prefix)).sort();
            expect(seen).toEqual(expected);
          },
        ),
        { numRuns: 40, seed: 20261201 },
      );
      await close();
    });

    it('offers unused rooms for expiry once idle, until they are retired or removed', async () => {
      const { rooms, close } = await open();
      const quiet = { workspace: 'acme', room: 'quiet' };
      await rooms.create(general, unlimited);
      await rooms.create(quiet, unlimited);
      const afterCreation = Date.now() + 1;
      await sleep(5);
      expect(await rooms.idle(Date.now() - 60_000, 10)).toEqual([]);
      expect(await rooms.idle(afterCreation, 10)).toEqual([general, quiet]);
      // A departure restarts the clock: general is idle only since now.
      await rooms.touch(general);
      expect(await rooms.idle(afterCreation, 10)).toEqual([quiet]);
      expect(await rooms.idle(Date.now() + 1, 1)).toEqual([quiet]);
      await rooms.retire(quiet);
      expect(await rooms.idle(Date.now() + 1, 10)).toEqual([general]);
      await rooms.remove(general);
      expect(await rooms.idle(Date.now() + 1, 10)).toEqual([]);
      expect(await rooms.get(general)).toBeUndefined();
      expect(await rooms.count('acme')).toBe(1);
      // A touch of a room that is no candidate does not make it one.
      await rooms.touch(quiet);
      expect(await rooms.idle(Date.now() + 1, 10)).toEqual([]);
      await close();
    });
  });

  describe(`${name}: message rates (a bucket per user per room and one per room, taken by append)`, () => {
    // A token every twenty seconds: a refusal below is a refusal however slow the machine is
    // between the sends (with a faster refill, a pause between two of them would refill one).
    const sender = { perSecond: 0.05, burst: 3 };
    const send = (stores: Stores, ref: typeof general, author: Member, clientMsgId: string) =>
      stores.history.append(ref, { author, text: clientMsgId, clientMsgId }, { rates: { sender } });

    it('stores the burst, then refuses with the wait until the next token and stores nothing', async () => {
      const stores = await open();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await send(stores, general, ana, `c${i}`));
      expect(results.slice(0, 3).map((r) => stored(r).message.seq)).toEqual([1, 2, 3]);
      const refused = results[3];
      expect(refused).toMatchObject({ rateLimited: true, scope: 'sender' });
      const retryAfterMs = refused && 'rateLimited' in refused ? refused.retryAfterMs : 0;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(1000 / sender.perSecond);
      expect(await stores.history.lastSeq(general)).toBe(3);
      await stores.close();
    });

    it('keeps a bucket per user per room: others, and the same user elsewhere, are not slowed', async () => {
      const stores = await open();
      for (let i = 0; i < 3; i++) stored(await send(stores, general, ana, `c${i}`));
      expect(await send(stores, general, ana, 'c3')).toMatchObject({ rateLimited: true });
      expect(stored(await send(stores, general, bo, 'b0')).created).toBe(true);
      expect(stored(await send(stores, random, ana, 'r0')).created).toBe(true);
      await stores.close();
    });

    it('answers a resend of a stored message without refusing it or taking a token', async () => {
      const stores = await open();
      const first = stored(await send(stores, general, ana, 'c0'));
      expect(await send(stores, general, ana, 'c0')).toEqual({ ...first, created: false });
      expect(await send(stores, general, ana, 'c0')).toEqual({ ...first, created: false });
      // Had the resends taken tokens, the bucket (3) would be empty now.
      stored(await send(stores, general, ana, 'c1'));
      stored(await send(stores, general, ana, 'c2'));
      expect(await send(stores, general, ana, 'c3')).toMatchObject({ rateLimited: true });
      // Even with the bucket empty, a resend is answered.
      expect(await send(stores, general, ana, 'c0')).toEqual({ ...first, created: false });
      await stores.close();
    });

    it('takes no token and refuses nothing when no rate is given (the server API)', async () => {
      const stores = await open();
      for (let i = 0; i < 10; i++) {
        stored(
          await stores.history.append(general, { author: ana, text: 'x', clientMsgId: `a${i}` }),
        );
      }
      for (let i = 0; i < 3; i++) stored(await send(stores, general, ana, `c${i}`));
      expect(await send(stores, general, ana, 'c3')).toMatchObject({ rateLimited: true });
      stored(
        await stores.history.append(general, { author: ana, text: 'x', clientMsgId: 'after' }),
      );
      await stores.close();
    });

    it('refills over time at the sustained rate', async () => {
      const stores = await open();
      // Two a second, ten at once: sent until one is refused, the burst goes through, and past
      // it only what the time the sends took refilled — timed around them, so a slow machine
      // only loosens the bound (the eleventh is refused unless the ten took half a second).
      const fast = (clientMsgId: string) =>
        stores.history.append(
          general,
          { author: ana, text: clientMsgId, clientMsgId },
          { rates: { sender: { perSecond: 2, burst: 10 } } },
        );
      const started = Date.now();
      let accepted = 0;
      let refused: AppendResult | undefined;
      while (!refused && accepted < 100) {
        const result = await fast(`c${accepted}`);
        if ('rateLimited' in result) refused = result;
        else accepted++;
      }
      const tookMs = Date.now() - started + 1; // readings in whole ms: a millisecond to spare
      expect(refused).toMatchObject({ rateLimited: true, scope: 'sender' });
      expect(accepted).toBeGreaterThanOrEqual(10);
      expect(accepted).toBeLessThanOrEqual(10 + Math.floor((tookMs / 1000) * 2));
      // Waited from the refusal's answer: two tokens, and a little.
      await sleep(1100);
      stored(await fast('later-1'));
      stored(await fast('later-2'));
      await stores.close();
    });

    it("refuses everyone once the room's own bucket is empty, taking no sender's token", async () => {
      const stores = await open();
      // A sender's bucket barely refills: had a refusal by the room taken its token, it would
      // still be empty a second later.
      const rates = { sender: { perSecond: 0.01, burst: 1 }, room: { perSecond: 1, burst: 5 } };
      const guest = (i: number) => ({ id: `guest${i}`, name: `G${i}` });
      // A new guest each time, until five were refused: ten, unless the sends took a second.
      const results: AppendResult[] = [];
      const refusedGuests: number[] = [];
      const started = Date.now();
      for (let i = 0; refusedGuests.length < 5 && i < 100; i++) {
        const result = await stores.history.append(
          general,
          { author: guest(i), text: 'hi', clientMsgId: 'c' },
          { rates },
        );
        results.push(result);
        if ('rateLimited' in result) refusedGuests.push(i);
      }
      const tookMs = Date.now() - started + 1; // readings in whole ms: a millisecond to spare
      const accepted = results.filter((r) => !('rateLimited' in r)).length;
      // The room's burst goes through; past it only what the time the sends took refilled (one
      // a second), timed around them so that a slow machine only loosens the bound.
      expect(results.slice(0, 5).every((r) => !('rateLimited' in r))).toBe(true);
      expect(accepted).toBeLessThanOrEqual(5 + Math.floor(tookMs / 1000));
      // Every refusal is the room's: each guest's own bucket still had its token.
      expect(refusedGuests).toHaveLength(5);
      expect(results.every((r) => !('rateLimited' in r) || r.scope === 'room')).toBe(true);
      expect(await stores.history.lastSeq(general)).toBe(accepted);
      // The room's budget is the room's: next door is not slowed.
      const elsewhere = await stores.history.append(
        random,
        { author: ana, text: 'x', clientMsgId: 'x' },
        { rates },
      );
      expect(stored(elsewhere).created).toBe(true);
      // Waited from the last refusal's answer: the room has a token again.
      await sleep(1100);
      const late = { author: guest(refusedGuests.at(-1) ?? 0), text: 'again', clientMsgId: 'c' };
      expect(stored(await stores.history.append(general, late, { rates })).created).toBe(true);
      await stores.close();
    });
  });

  describe(`${name}: node reports`, () => {
    const report = (id: string, overrides: Partial<NodeReport> = {}): NodeReport => ({
      id,
      startedAt: '2026-12-01T10:00:00.000Z',
      reportedAt: '2026-12-01T10:00:05.000Z',
      connections: 3,
      rooms: 2,
      eventLoopLagMs: 1.5,
      heapUsedBytes: 50_000_000,
      messagesStored: 7,
      deliveries: 21,
      busiestRooms: [
        { workspace: 'acme', room: 'general', sockets: 2 },
        { workspace: 'acme', room: 'Ünïcode 💬', sockets: 1 },
      ],
      ...overrides,
    });
    const byId = (reports: NodeReport[]) => [...reports].sort((a, b) => a.id.localeCompare(b.id));

    it("keeps each node's latest report, replaced by the next and dropped when forgotten", async () => {
      const { nodes, close } = await open();
      expect(await nodes.all()).toEqual([]);
      await nodes.report(report('node-a'), 60_000);
      await nodes.report(report('node-b', { connections: 0, busiestRooms: [] }), 60_000);
      expect(byId(await nodes.all())).toEqual([
        report('node-a'),
        report('node-b', { connections: 0, busiestRooms: [] }),
      ]);
      await nodes.report(report('node-a', { messagesStored: 8 }), 60_000);
      expect(byId(await nodes.all()).map((r) => [r.id, r.messagesStored])).toEqual([
        ['node-a', 8],
        ['node-b', 7],
      ]);
      await nodes.forget('node-a');
      await nodes.forget('never-reported');
      expect((await nodes.all()).map((r) => r.id)).toEqual(['node-b']);
      await close();
    });

    it('a report lapses once its TTL passes unless renewed', async () => {
      const { nodes, close } = await open();
      await nodes.report(report('steady'), 60_000);
      await nodes.report(report('dying'), 150);
      expect((await nodes.all()).length).toBe(2);
      const deadline = Date.now() + 3000;
      while ((await nodes.all()).some((r) => r.id === 'dying')) {
        if (Date.now() > deadline) throw new Error('the lapsed report is still listed');
        await sleep(25);
      }
      expect((await nodes.all()).map((r) => r.id)).toEqual(['steady']);
      // Renewed, it is back.
      await nodes.report(report('dying'), 60_000);
      expect(byId(await nodes.all()).map((r) => r.id)).toEqual(['dying', 'steady']);
      await close();
    });
  });

  describe(`${name}: feed of stored messages`, () => {
    it('passes each listener the rooms it wants, in seq order, with the origin', async () => {
      const { history, close } = await open();
      const everything: AppendedEntry[] = [];
      const generalOnly: AppendedEntry[] = [];
      history.onAppended((appended) => everything.push(appended));
      history.onAppended(
        (appended) => generalOnly.push(appended),
        (ref) => ref.workspace === 'acme' && ref.room === 'general',
      );
      // The feed may start listening asynchronously: warm-ups until it hears one, then a last one
      // heard after any warm-up still on its way (a room's entries come in seq order), so none
      // of them is heard among what follows.
      const warmUp = { workspace: 'acme', room: 'warm-up' };
      for (let i = 0; everything.length === 0; i++) {
        await history.append(warmUp, { author: ana, text: 'x', clientMsgId: `w${i}` });
        await sleep(10);
      }
      await history.append(warmUp, { author: ana, text: 'last', clientMsgId: 'w-last' });
      await until(() => everything.some(({ entry }) => messagesOf([entry])[0]?.text === 'last'));
      everything.length = 0;

      const one = stored(
        await history.append(general, { author: ana, text: 'one', clientMsgId: '1', origin: 's1' }),
      );
      await history.append(random, { author: ana, text: 'elsewhere', clientMsgId: '2' });
      await history.append(
        { workspace: 'other', room: 'general' },
        { author: ana, text: 'other workspace', clientMsgId: '3' },
      );
      const two = stored(
        await history.append(general, { author: bo, text: 'two', clientMsgId: '4' }),
      );
      await until(() => everything.length === 4);
      expect(generalOnly).toEqual([
        { ref: general, entry: one.message, origin: 's1' },
        { ref: general, entry: two.message },
      ]);
      // Each room's entries in seq order; entries of different rooms may come in any order (on a
      // Redis Cluster each room is announced by the master that serves it).
      const heard = everything.map(
        ({ ref, entry }) => `${ref.workspace}/${ref.room} ${messagesOf([entry])[0]?.text}`,
      );
      expect([...heard].sort()).toEqual([
        'acme/general one',
        'acme/general two',
        'acme/random elsewhere',
        'other/general other workspace',
      ]);
      expect(heard.filter((line) => line.startsWith('acme/general '))).toEqual([
        'acme/general one',
        'acme/general two',
      ]);
      await close();
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function delivery(n: number): WebhookDelivery {
  return {
    id: `evt_${n}.0`,
    url: 'http://127.0.0.1:9/hook',
    eventId: `evt_${n}`,
    eventType: 'message.created',
    body: JSON.stringify({ id: `evt_${n}`, n }),
  };
}

/** The webhook queue's behaviour, for each implementation (its capacity set by the test). */
export function describeWebhookQueueContract(
  name: string,
  makeQueue: (options: { capacity: number }) => Promise<{
    queue: WebhookQueue;
    close(): Promise<void>;
  }>,
): void {
  /** Short, for the tests of a claim that lapses; the others hold theirs for long. */
  const LEASE_MS = 100;
  // A claim that must still hold when the test looks again: long, so no pause of the machine
  // between two calls lets it lapse.
  const claimOptions = { max: 10, leaseMs: 60_000, maxAttempts: 3 };

  describe(`${name}: webhook queue`, () => {
    it('hands a due delivery to one claim at a time, oldest first, until acknowledged', async () => {
      const { queue, close } = await makeQueue({ capacity: 10 });
      expect(await queue.enqueue([delivery(1)])).toBe(true);
      await sleep(2);
      expect(await queue.enqueue([delivery(2)])).toBe(true);
      const { claimed, abandoned } = await queue.claim(claimOptions);
      expect(abandoned).toEqual([]);
      expect(claimed.map(({ lease: _, ...rest }) => rest)).toEqual([
        { ...delivery(1), attempt: 1 },
        { ...delivery(2), attempt: 1 },
      ]);
      expect((await queue.claim(claimOptions)).claimed).toEqual([]); // leased
      await queue.ack('evt_1.0');
      expect(await queue.size()).toBe(1);
      await queue.ack('evt_1.0'); // twice is harmless
      expect(await queue.size()).toBe(1);
      await close();
    });

    it('takes at most max per claim and ignores an id already queued', async () => {
      const { queue, close } = await makeQueue({ capacity: 10 });
      await queue.enqueue([delivery(1), delivery(2), delivery(3)]);
      await queue.enqueue([{ ...delivery(1), body: 'changed' }]);
      expect(await queue.size()).toBe(3);
      const first = await queue.claim({ ...claimOptions, max: 2 });
      expect(first.claimed).toHaveLength(2);
      expect(first.claimed[0]?.body).toBe(delivery(1).body);
      expect((await queue.claim(claimOptions)).claimed.map((d) => d.id)).toEqual(['evt_3.0']);
      await close();
    });

    it('a claim that lapses (its worker died) makes the delivery due again, as another attempt', async () => {
      const { queue, close } = await makeQueue({ capacity: 10 });
      await queue.enqueue([delivery(1)]);
      const first = (await queue.claim({ ...claimOptions, leaseMs: LEASE_MS })).claimed[0];
      await sleep(LEASE_MS + 30);
      const second = (await queue.claim(claimOptions)).claimed[0];
      expect(second).toMatchObject({ id: 'evt_1.0', attempt: 2 });
      expect(second?.lease).toBeGreaterThan(first?.lease ?? Number.POSITIVE_INFINITY);
      // The first worker's retry comes too late: the second claim keeps the delivery.
      expect(await queue.retry({ id: 'evt_1.0', lease: first?.lease ?? 0 }, 0)).toBe(false);
      expect((await queue.claim(claimOptions)).claimed).toEqual([]);
      await close();
    });

    it('retry makes the delivery due after the delay, as the next attempt', async () => {
      const { queue, close } = await makeQueue({ capacity: 10 });
      await queue.enqueue([delivery(1)]);
      await sleep(2);
      await queue.enqueue([delivery(2)]);
      const [later, soon] = (await queue.claim(claimOptions)).claimed;
      expect(later).toBeDefined();
      expect(soon).toBeDefined();
      if (!later || !soon) return;
      // One retried a minute ahead (not due before it, however slow the machine), one soon.
      expect(await queue.retry(later, 60_000)).toBe(true);
      expect(await queue.retry(soon, 150)).toBe(true);
      await sleep(180);
      expect((await queue.claim(claimOptions)).claimed).toMatchObject([
        { id: 'evt_2.0', attempt: 2 },
      ]);
      expect(await queue.retry({ id: 'evt_9.0', lease: soon.lease }, 0)).toBe(false);
      await close();
    });

    it('gives up a delivery whose attempts were all used by claims that never finished', async () => {
      const { queue, close } = await makeQueue({ capacity: 10 });
      await queue.enqueue([delivery(1)]);
      const options = { ...claimOptions, leaseMs: LEASE_MS, maxAttempts: 2 };
      expect((await queue.claim(options)).claimed).toMatchObject([{ attempt: 1 }]);
      await sleep(LEASE_MS + 30);
      expect((await queue.claim(options)).claimed).toMatchObject([{ attempt: 2 }]);
      await sleep(LEASE_MS + 30);
      expect(await queue.claim(options)).toEqual({ claimed: [], abandoned: [delivery(1)] });
      expect(await queue.size()).toBe(0);
      await close();
    });

    it('refuses what does not fit under its capacity, adding none of it', async () => {
      const { queue, close } = await makeQueue({ capacity: 3 });
      expect(await queue.enqueue([delivery(1), delivery(2)])).toBe(true);
      expect(await queue.enqueue([delivery(3), delivery(4)])).toBe(false);
      expect(await queue.size()).toBe(2);
      expect(await queue.enqueue([delivery(3)])).toBe(true);
      await queue.ack('evt_1.0');
      expect(await queue.enqueue([delivery(5)])).toBe(true);
      expect(await queue.size()).toBe(3);
      await close();
    });
  });
}
