import { roomMatches } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../stores/memory';
import { roomDirectory, type Viewer } from './room-directory';

/**
 * Whatever the rooms, the viewer and the page size, paging through the directory to its end
 * gives exactly the rooms the viewer may see, in name order, each once.
 */

const name = fc.stringMatching(/^[a-c][a-c0-9-]{0,3}$/);
const pattern = fc.oneof(
  name,
  name.map((n) => `${n}*`),
  fc.constantFrom('*', 'a*', 'b-*'),
);

describe('the room directory', () => {
  it('pages through exactly what each viewer may see', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ name, private: fc.boolean(), mine: fc.boolean() }), {
          selector: (room) => room.name,
          maxLength: 25,
        }),
        fc.record({
          admin: fc.boolean(),
          rooms: fc.option(fc.array(pattern, { minLength: 1, maxLength: 4 }), { nil: undefined }),
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.option(fc.stringMatching(/^[a-c][a-c0-9-]{0,1}$/), { nil: undefined }),
        async (rooms, who, limit, prefix) => {
          const stores = createMemoryStores({ historyRetention: 10 });
          for (const room of rooms) {
            const ref = { workspace: 'w', room: room.name };
            await stores.rooms.create(ref, {
              maxRooms: 1000,
              visibility: room.private ? 'private' : 'public',
            });
            if (room.mine) await stores.members.put(ref, { id: 'me', name: 'Me', role: 'member' });
          }
          const viewer: Viewer = { userId: 'me', ...who };
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages <= rooms.length + 1; pages++) {
            const page = await roomDirectory(stores, 'w', { cursor, prefix, limit }, viewer);
            expect(page.rooms.length).toBeLessThanOrEqual(limit);
            seen.push(...page.rooms.map((room) => room.name));
            if (page.nextCursor === null) break;
            cursor = page.nextCursor;
          }
          const confined = who.rooms && !who.rooms.includes('*') ? who.rooms : undefined;
          const expected = rooms
            .filter((room) => (prefix ? room.name.startsWith(prefix) : true))
            .filter((room) =>
              confined ? roomMatches(confined, room.name) : !room.private || room.mine || who.admin,
            )
            .map((room) => room.name)
            .sort();
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 300, seed: 20261201 },
    );
  });
});
