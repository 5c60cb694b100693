/**
 * The stores' share of who may do what (protocol v2), held to one behaviour on memory and Redis
 * alike: rooms public and private, members and bans, edits and deletions as log entries, and
 * read-only rooms.
 */
import { type HistoryEntry, isChange, type Member, type Message } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppendedEntry, AppendResult, Stored, Stores } from '../src/stores/types';
import { feedHeard } from './feed';

const ana: Member = { id: 'ana', name: 'Ana' };
const bo: Member = { id: 'bo', name: 'Bo' };
const unlimited = { maxRooms: 1_000_000 };
let rooms = 0;
/** A room of its own for each test (and each generated run): stores may be shared. */
const fresh = () => ({ workspace: 'acme', room: `r${++rooms}-${Date.now().toString(36)}` });

function stored(result: AppendResult): Stored {
  if (!('created' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result;
}

async function until(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const edit = (text: string) => (current: Message) =>
  current.text === text ? undefined : { ...current, text, editedAt: new Date().toISOString() };
const tombstone = (current: Message) =>
  current.deleted ? undefined : { ...current, text: '', deleted: true as const };

export function describeAccessContract(
  name: string,
  makeStores: (limits: { historyRetention: number }) => Promise<Stores>,
): void {
  const open = (historyRetention = 100) => makeStores({ historyRetention });

  describe(`${name}: rooms, public and private`, () => {
    it('keeps visibility and read-only, pages each kind apart, counts both against the limit', async () => {
      const stores = await open();
      const workspace = `w-${Date.now().toString(36)}-${++rooms}`;
      const at = (room: string) => ({ workspace, room });
      expect(await stores.rooms.create(at('open'), { maxRooms: 3 })).toBe('created');
      expect(await stores.rooms.create(at('secret'), { maxRooms: 3, visibility: 'private' })).toBe(
        'created',
      );
      expect(
        await stores.rooms.create(at('news'), { maxRooms: 3, readOnly: true, topic: 'Hi' }),
      ).toBe('created');
      expect(await stores.rooms.create(at('more'), { maxRooms: 3 })).toBe('full');
      expect(await stores.rooms.count(workspace)).toBe(3);
      const page = (visibility: 'public' | 'private') =>
        stores.rooms.page(workspace, { limit: 10, visibility }).then((p) => p.rooms);
      expect(await page('public')).toEqual([
        { name: 'news', topic: 'Hi', visibility: 'public', readOnly: true },
        { name: 'open', topic: null, visibility: 'public', readOnly: false },
      ]);
      expect(await page('private')).toEqual([
        { name: 'secret', topic: null, visibility: 'private', readOnly: false },
      ]);
      expect(await stores.rooms.update(at('secret'), { topic: 'Plans', readOnly: true })).toEqual({
        name: 'secret',
        topic: 'Plans',
        visibility: 'private',
        readOnly: true,
      });
      expect(await stores.rooms.update(at('nope'), { topic: 'x' })).toBeUndefined();
      expect(
        (await stores.rooms.getMany(workspace, ['secret', 'nope', 'open'])).map((r) => r.name),
      ).toEqual(['secret', 'open']);
      await stores.close();
    });
  });

  describe(`${name}: members and bans`, () => {
    it('stores members with roles, lists owners first, and indexes each user’s rooms', async () => {
      const stores = await open();
      const workspace = `w-${Date.now().toString(36)}-${++rooms}`;
      const at = (room: string) => ({ workspace, room });
      await stores.members.put(at('b'), { id: 'ana', name: 'Ana', role: 'member' });
      await stores.members.put(at('b'), { id: 'bo', name: 'Bo', role: 'owner' });
      await stores.members.put(at('b'), { id: 'cy', name: 'Cy', role: 'moderator' });
      await stores.members.put(at('a'), { id: 'ana', name: 'Ana', role: 'owner' });
      await stores.members.put(at('c'), { id: 'ana', name: 'Ana', role: 'member' });
      expect(await stores.members.get(at('b'), 'ana')).toEqual({
        id: 'ana',
        name: 'Ana',
        role: 'member',
      });
      expect((await stores.members.list(at('b'), 10)).map((m) => m.role)).toEqual([
        'owner',
        'moderator',
        'member',
      ]);
      expect(await stores.members.list(at('b'), 2)).toHaveLength(2);
      const first = await stores.members.roomsOf(workspace, 'ana', { limit: 2 });
      expect(first).toEqual({ names: ['a', 'b'], next: 'b' });
      expect(await stores.members.roomsOf(workspace, 'ana', { after: 'b', limit: 2 })).toEqual({
        names: ['c'],
        next: null,
      });
      expect(await stores.members.remove(at('b'), 'ana')).toBe(true);
      expect(await stores.members.remove(at('b'), 'ana')).toBe(false);
      expect(await stores.members.get(at('b'), 'ana')).toBeUndefined();
      expect((await stores.members.roomsOf(workspace, 'ana', { limit: 10 })).names).toEqual([
        'a',
        'c',
      ]);
      await stores.close();
    });

    it('answers a ban until it ends, and not after', async () => {
      const stores = await open();
      const ref = fresh();
      expect(await stores.members.bannedUntil(ref, 'bo')).toBeUndefined();
      const until = Date.now() + 60_000;
      await stores.members.ban(ref, 'bo', until);
      expect(await stores.members.bannedUntil(ref, 'bo')).toBe(until);
      await stores.members.ban(ref, 'cy', Date.now() - 1);
      expect(await stores.members.bannedUntil(ref, 'cy')).toBeUndefined();
      await stores.members.unban(ref, 'bo');
      expect(await stores.members.bannedUntil(ref, 'bo')).toBeUndefined();
      await stores.close();
    });

    it("reads a join's admission facts at once, as the room, member and ban reads answer them (generative)", async () => {
      const stores = await open();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              exists: fc.boolean(),
              visibility: fc.constantFrom('public' as const, 'private' as const),
              role: fc.constantFrom(
                undefined,
                'member' as const,
                'moderator' as const,
                'owner' as const,
              ),
              ban: fc.constantFrom('none', 'ended', 'ongoing'),
              // Whatever a token may name a user, ill-formed Unicode included.
              userId: fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }),
              name: fc.string({ maxLength: 12, unit: 'binary' }),
            }),
            async ({ exists, visibility, role, ban, userId, name }) => {
              const ref = fresh();
              if (exists) await stores.rooms.create(ref, { ...unlimited, visibility, topic: name });
              if (role) await stores.members.put(ref, { id: userId, name, role });
              const untilMs = ban === 'ongoing' ? Date.now() + 60_000 : Date.now() - 1;
              if (ban !== 'none') await stores.members.ban(ref, userId, untilMs);
              const facts = await stores.members.admission(ref, userId);
              expect(facts).toEqual({
                record: await stores.rooms.get(ref),
                member: await stores.members.get(ref, userId),
                bannedUntil: ban === 'ongoing' ? untilMs : undefined,
              });
              expect(facts.record === undefined).toBe(!exists);
              expect(facts.member?.role).toBe(role);
              // A stranger's facts in the same room: nothing of theirs.
              expect(await stores.members.admission(ref, `${userId}-other`)).toEqual({
                record: facts.record,
                member: undefined,
                bannedUntil: undefined,
              });
              // A ban that has ended is gone once read, as bannedUntil leaves it.
              expect(await stores.members.bannedUntil(ref, userId)).toBe(
                ban === 'ongoing' ? untilMs : undefined,
              );
            },
          ),
          { numRuns: 40, seed: 20261203 },
        );
      } finally {
        await stores.close();
      }
    });
  });

  describe(`${name}: edits and deletions`, () => {
    it('change a message in place and add the change as an entry with the next seq', async () => {
      const stores = await open();
      const ref = fresh();
      const heard: AppendedEntry[] = [];
      stores.history.onAppended(
        (appended) => heard.push(appended),
        (r) => r.room === ref.room,
      );
      await feedHeard(stores.history);
      const first = stored(
        await stores.history.append(ref, { author: ana, text: 'helo', clientMsgId: 'a' }),
      );
      stored(await stores.history.append(ref, { author: bo, text: 'hi', clientMsgId: 'b' }));
      const edited = await stores.history.amend(ref, 1, edit('hello'), {
        action: 'edit',
        by: ana,
        origin: 's1',
      });
      expect(edited?.message).toMatchObject({ id: first.message.id, seq: 1, text: 'hello' });
      expect(edited?.message.editedAt).toBeDefined();
      expect(edited?.change).toMatchObject({ type: 'change', seq: 3, action: 'edit', by: ana });
      const deleted = await stores.history.amend(ref, 2, tombstone, { action: 'delete', by: ana });
      expect(deleted?.message).toMatchObject({ seq: 2, text: '', deleted: true });
      expect(deleted?.change?.seq).toBe(4);
      // History shows messages as they are now, changes in between; seq stays gap-free.
      const { messages } = await stores.history.page(ref, { limit: 10 });
      expect(messages.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
      expect(messages[0]).toMatchObject({ text: 'hello' });
      expect(messages[1]).toMatchObject({ deleted: true, text: '' });
      expect(messages.slice(2).every(isChange)).toBe(true);
      // Whoever was away gets both changes after their `since`, with the changed messages.
      const missed = (await stores.history.since(ref, 2, 100)) as HistoryEntry[];
      expect(
        missed.map((entry) =>
          isChange(entry) ? `${entry.action} ${entry.message.seq}` : 'message',
        ),
      ).toEqual(['edit 1', 'delete 2']);
      await until(() => heard.length === 4);
      expect(heard.map((h) => h.entry.seq)).toEqual([1, 2, 3, 4]);
      expect(heard[2]?.origin).toBe('s1');
      expect(await stores.history.lastSeq(ref)).toBe(4);
      await stores.close();
    });

    it('append nothing when nothing changes, refuse when asked, and answer gone past retention', async () => {
      const stores = await open(3);
      const ref = fresh();
      stored(await stores.history.append(ref, { author: ana, text: 'one', clientMsgId: 'a' }));
      const same = await stores.history.amend(ref, 1, edit('one'), { action: 'edit', by: ana });
      expect(same?.message.text).toBe('one');
      expect(same?.change).toBeUndefined();
      await expect(
        stores.history.amend(
          ref,
          1,
          () => {
            throw new Error('not yours');
          },
          { action: 'edit', by: bo },
        ),
      ).rejects.toThrow('not yours');
      expect(await stores.history.lastSeq(ref)).toBe(1);
      for (const c of ['b', 'c', 'd']) {
        stored(await stores.history.append(ref, { author: ana, text: c, clientMsgId: c }));
      }
      expect(
        await stores.history.amend(ref, 1, edit('late'), { action: 'edit', by: ana }),
      ).toBeUndefined();
      expect(
        await stores.history.amend(ref, 99, edit('x'), { action: 'edit', by: ana }),
      ).toBeUndefined();
      // A change entry is no message to change.
      await stores.history.amend(ref, 4, edit('d2'), { action: 'edit', by: ana });
      expect(
        await stores.history.amend(ref, 5, edit('x'), { action: 'edit', by: ana }),
      ).toBeUndefined();
      await stores.close();
    });

    it('apply concurrent changes of one message one after the other, whatever their order', async () => {
      const stores = await open();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom('edit', 'delete'), { minLength: 1, maxLength: 6 }),
          async (actions) => {
            const ref = fresh();
            stored(await stores.history.append(ref, { author: ana, text: 'v0', clientMsgId: 'a' }));
            const results = await Promise.all(
              actions.map((action, i) =>
                stores.history.amend(
                  ref,
                  1,
                  action === 'delete'
                    ? tombstone
                    : (current) =>
                        current.deleted
                          ? undefined
                          : { ...current, text: `v${i + 1}`, editedAt: new Date().toISOString() },
                  { action, by: ana },
                ),
              ),
            );
            const changes = results.filter((r) => r?.change).length;
            const { messages } = await stores.history.page(ref, { limit: 20 });
            // One entry per change that happened, and the seqs still gap-free.
            expect(messages.map((entry) => entry.seq)).toEqual(
              Array.from({ length: changes + 1 }, (_, i) => i + 1),
            );
            const final = messages[0] as Message;
            if (actions.includes('delete')) expect(final.deleted).toBe(true);
          },
        ),
        { numRuns: 25, seed: 20261201 },
      );
      await stores.close();
    });
  });

  describe(`${name}: read-only rooms`, () => {
    it('take messages only from those who may post there, in the same step as the append', async () => {
      const stores = await open();
      const ref = fresh();
      await stores.rooms.create(ref, { ...unlimited, readOnly: true });
      expect(
        await stores.history.append(ref, { author: ana, text: 'x', clientMsgId: 'a' }),
      ).toEqual({
        readOnly: true,
      });
      const posted = await stores.history.append(
        ref,
        { author: bo, text: 'news', clientMsgId: 'b' },
        { mayPostReadOnly: true },
      );
      expect(stored(posted).message.seq).toBe(1);
      await stores.rooms.update(ref, { readOnly: false });
      expect(
        stored(await stores.history.append(ref, { author: ana, text: 'x', clientMsgId: 'a' }))
          .created,
      ).toBe(true);
      await stores.close();
    });
  });
}
