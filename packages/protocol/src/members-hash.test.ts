import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MEMBERS_HASH_PATTERN, membersHash } from './members-hash';
import { RoomJoinPayload } from './schemas';

/** Any string, lone surrogates and control characters included. */
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const member = fc.record(
  {
    id: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    name: anyText,
    kind: fc.constant('integration'),
  },
  { requiredKeys: ['id', 'name'] },
);
const list = fc.uniqueArray(member, { selector: (m) => m.id, maxLength: 60 });

describe('membersHash', () => {
  it('is 32 hex digits that a join payload accepts, whatever the names hold', () => {
    fc.assert(
      fc.property(list, (members) => {
        const hash = membersHash(members);
        expect(hash).toMatch(MEMBERS_HASH_PATTERN);
        expect(RoomJoinPayload.safeParse({ room: 'r', membersHash: hash }).success).toBe(true);
      }),
    );
  });

  it('is what its definition says, as another implementation would make it', () => {
    // The documented recipe, with Node's own SHA-256: sorted by id, [id, name, kind or null]
    // as JSON, UTF-8, the digest's first 16 bytes in hex.
    fc.assert(
      fc.property(list, (members) => {
        const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const json = JSON.stringify(sorted.map((m) => [m.id, m.name, m.kind ?? null]));
        const digest = createHash('sha256').update(json, 'utf8').digest('hex');
        expect(membersHash(members)).toBe(digest.slice(0, 32));
      }),
    );
  });

  it('does not depend on the order of the list', () => {
    fc.assert(
      fc.property(
        list.chain((members) =>
          fc.tuple(
            fc.constant(members),
            fc.shuffledSubarray(members, { minLength: members.length }),
          ),
        ),
        ([members, shuffled]) => {
          expect(membersHash(shuffled)).toBe(membersHash(members));
        },
      ),
    );
  });

  it('changes when anyone arrives or leaves, or a name or kind changes', () => {
    fc.assert(
      fc.property(list, member, fc.nat(), anyText, (members, other, at, name) => {
        const hash = membersHash(members);
        if (!members.some((m) => m.id === other.id)) {
          expect(membersHash([...members, other])).not.toBe(hash);
        }
        if (members.length === 0) return;
        const i = at % members.length;
        const changed = members[i];
        if (!changed) return;
        expect(membersHash(members.filter((_, j) => j !== i))).not.toBe(hash);
        if (name !== changed.name) {
          expect(membersHash(members.with(i, { ...changed, name }))).not.toBe(hash);
        }
        const { kind: _kind, ...person } = changed;
        const flipped = changed.kind ? person : { ...changed, kind: 'integration' as const };
        expect(membersHash(members.with(i, flipped))).not.toBe(hash);
      }),
    );
  });

  it('does not mistake where one field ends and the next begins', () => {
    expect(membersHash([{ id: 'a', name: 'b,c' }])).not.toBe(
      membersHash([{ id: 'a,b', name: 'c' }]),
    );
    expect(
      membersHash([
        { id: 'a', name: '' },
        { id: 'b', name: '' },
      ]),
    ).not.toBe(membersHash([{ id: 'a', name: '","b' }]));
  });

  it('is the same for the same list on every call (and so on every node and client)', () => {
    const members = [
      { id: 'ada', name: 'Ada' },
      { id: 'bo', name: 'Bo \ud800' },
      { id: 'hook', name: 'CI', kind: 'integration' },
    ];
    expect(membersHash(members)).toBe(membersHash(structuredClone(members).reverse()));
    // Pinned: changing the function is a protocol change (clients and servers of different
    // versions would never match again), so it must not happen by accident.
    expect(membersHash(members)).toBe('e6a5178248847705aa8bf52491e09c39');
    expect(membersHash([])).toBe('4f53cda18c2baa0c0354bb5f9a3ecbe5');
  });

  it('refuses anything but 32 lowercase hex digits in a join', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.jsonValue()), (value) => {
        const ok = typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
        expect(RoomJoinPayload.safeParse({ room: 'r', membersHash: value }).success).toBe(ok);
      }),
    );
  });
});
