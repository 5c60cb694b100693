import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JoinedRooms } from './joined-rooms';

const ROLES = [null, 'member', 'moderator', 'owner'] as const;

describe('JoinedRooms', () => {
  it('answers as a Map would, whatever the sequence of sets and deletes', () => {
    // A few room names, so sequences revisit the same rooms (the first slot, the Map, both).
    const room = fc.constantFrom('a', 'b', 'c', 'd', '', 'é\u{1F600}');
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), room, role: fc.constantFrom(...ROLES) }),
      fc.record({ kind: fc.constant('delete' as const), room }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const joined = new JoinedRooms();
        const model = new Map<string, (typeof ROLES)[number]>();
        for (const op of operations) {
          if (op.kind === 'set') {
            expect(joined.set(op.room, op.role)).toBe(joined);
            model.set(op.room, op.role);
          } else {
            expect(joined.delete(op.room)).toBe(model.delete(op.room));
          }
          expect(joined.size).toBe(model.size);
          expect([...joined.keys()].sort()).toEqual([...model.keys()].sort());
          for (const name of ['a', 'b', 'c', 'd', '', 'é\u{1F600}', 'never']) {
            expect(joined.has(name)).toBe(model.has(name));
            expect(joined.get(name)).toBe(model.get(name));
          }
        }
      }),
    );
  });
});
