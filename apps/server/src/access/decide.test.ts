import type { Role } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import type { RoomRecord } from '../stores/types';
import { type Entry, entryTo, type Requester } from './decide';

const room = (visibility: 'public' | 'private'): RoomRecord => ({
  name: 'r',
  topic: null,
  visibility,
  readOnly: false,
});

/** Every kind of requester the access model knows. */
const WHO: Record<string, { who: Requester; role?: Role; banned?: boolean }> = {
  none: { who: { userId: 'u', admin: false } },
  member: { who: { userId: 'u', admin: false }, role: 'member' },
  moderator: { who: { userId: 'u', admin: false }, role: 'moderator' },
  owner: { who: { userId: 'u', admin: false }, role: 'owner' },
  admin: { who: { userId: 'u', admin: true } },
  banned: { who: { userId: 'u', admin: false }, banned: true },
  bannedMember: { who: { userId: 'u', admin: false }, role: 'member', banned: true },
  claimInside: { who: { userId: 'u', admin: false, rooms: ['r', 'x-*'] } },
  claimOutside: { who: { userId: 'u', admin: false, rooms: ['other', 'x-*'] } },
  claimOutsideMember: { who: { userId: 'u', admin: false, rooms: ['other'] }, role: 'owner' },
};

const decide = (visibility: 'public' | 'private' | 'none', kind: string): Entry => {
  const { who, role, banned } = WHO[kind] as (typeof WHO)[string];
  return entryTo('r', who, {
    record: visibility === 'none' ? undefined : room(visibility),
    member: role ? { id: 'u', name: 'U', role } : undefined,
    bannedUntil: banned ? Date.now() + 60_000 : undefined,
  });
};

/** [requester, public room, private room, room not made yet]: role, or why not. */
const TABLE: [string, string, string, string][] = [
  ['none', 'in: none', 'ask the hook', 'in: none'],
  ['member', 'in: member', 'in: member', 'in: member'],
  ['moderator', 'in: moderator', 'in: moderator', 'in: moderator'],
  ['owner', 'in: owner', 'in: owner', 'in: owner'],
  ['admin', 'in: owner', 'in: owner', 'in: owner'],
  ['banned', 'refused: banned', 'refused: banned', 'refused: banned'],
  ['bannedMember', 'refused: banned', 'refused: banned', 'refused: banned'],
  ['claimInside', 'in: none', 'in: member', 'in: none'],
  ['claimOutside', 'refused: claim', 'refused: claim', 'refused: claim'],
  ['claimOutsideMember', 'refused: claim', 'refused: claim', 'refused: claim'],
];

function describeEntry(entry: Entry): string {
  if (entry.allowed === 'ask') return 'ask the hook';
  if (entry.allowed) return `in: ${entry.role ?? 'none'}`;
  return entry.bannedUntil ? 'refused: banned' : 'refused: claim';
}

describe('who may be in a room', () => {
  it.each(TABLE)('%s: public %s, private %s, new %s', (kind, open, closed, missing) => {
    expect(describeEntry(decide('public', kind))).toBe(open);
    expect(describeEntry(decide('private', kind))).toBe(closed);
    expect(describeEntry(decide('none', kind))).toBe(missing);
  });

  it('reads prefixes in a rooms claim', () => {
    const who = { userId: 'u', admin: false, rooms: ['support-*'] };
    const facts = { record: room('private'), member: undefined, bannedUntil: undefined };
    expect(entryTo('support-4711', who, facts)).toEqual({ allowed: true, role: 'member' });
    expect(entryTo('support', who, facts)).toMatchObject({ allowed: false });
    expect(entryTo('sales-1', who, facts)).toMatchObject({ allowed: false });
  });
});
