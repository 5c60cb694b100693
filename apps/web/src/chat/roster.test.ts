import { fromStored, localMessage } from '@parley/client';
import type { Message, RoomMember } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  addCandidates,
  assignableRoles,
  mayDelete,
  mayEdit,
  mayManage,
  personLabel,
  rosterPresence,
} from './roster';

const ana = { id: 'ana', name: 'Ana' };
const bo = { id: 'bo', name: 'Bo' };
const cy = { id: 'cy', name: 'Cy' };
const member = (who: typeof ana, role: RoomMember['role'], online = true): RoomMember => ({
  ...who,
  role,
  online,
});
const stored = (author = ana, extra: Partial<Message> = {}) =>
  fromStored({
    id: 'm1',
    room: 'r',
    seq: 1,
    author,
    text: 'hi',
    sentAt: new Date(0).toISOString(),
    ...extra,
  });

describe('roles', () => {
  it('lets moderators add members and owners give any role', () => {
    expect(assignableRoles(null)).toEqual([]);
    expect(assignableRoles('member')).toEqual([]);
    expect(assignableRoles('moderator')).toEqual(['member']);
    expect(assignableRoles('owner')).toEqual(['member', 'moderator', 'owner']);
  });

  it('lets moderators manage those below them, owners anyone, nobody themselves', () => {
    expect(mayManage('moderator', 'ana', member(bo, 'member'))).toBe(true);
    expect(mayManage('moderator', 'ana', member(bo, null))).toBe(true);
    expect(mayManage('moderator', 'ana', member(bo, 'moderator'))).toBe(false);
    expect(mayManage('moderator', 'ana', member(bo, 'owner'))).toBe(false);
    expect(mayManage('owner', 'ana', member(bo, 'owner'))).toBe(true);
    expect(mayManage('owner', 'ana', member(ana, 'owner'))).toBe(false);
    expect(mayManage('member', 'ana', member(bo, null))).toBe(false);
  });
});

describe('message actions', () => {
  it('offers editing only on your own stored, living messages', () => {
    expect(mayEdit('ana', stored())).toBe(true);
    expect(mayEdit('bo', stored())).toBe(false);
    expect(mayEdit('ana', stored(ana, { deleted: true, text: '' }))).toBe(false);
    expect(mayEdit('ana', localMessage(ana, 'pending', 'p', new Date(0).toISOString()))).toBe(
      false,
    );
  });

  it("offers deleting on your own messages, and on anyone's to moderators and owners", () => {
    expect(mayDelete(null, 'ana', stored())).toBe(true);
    expect(mayDelete('member', 'bo', stored())).toBe(false);
    expect(mayDelete('moderator', 'bo', stored())).toBe(true);
    expect(mayDelete('owner', 'bo', stored(ana, { deleted: true, text: '' }))).toBe(false);
  });
});

describe('adding people', () => {
  it('offers those online in your rooms who have no role here yet, once each', () => {
    const present = [
      [ana, bo, { id: 'bot', name: 'Deploy', kind: 'integration' as const }],
      [bo, cy],
    ];
    expect(addCandidates(present, [member(ana, 'owner'), member(cy, 'member')], 'ana')).toEqual([
      bo,
    ]);
    expect(addCandidates(present, [member(bo, null)], 'ana').map((m) => m.id)).toEqual([
      'bo',
      'cy',
    ]);
  });

  it('tells two people of the same name apart by id', () => {
    const otherBo = { id: 'bo2', name: 'Bo' };
    expect(personLabel(bo, [bo, cy])).toBe('Bo');
    expect(personLabel(bo, [bo, otherBo])).toBe('Bo (bo)');
  });
});

describe('rosterPresence', () => {
  it('marks members online and offline, and lists visitors only while present', () => {
    const roster = [member(ana, 'owner'), member(bo, 'member', false)];
    expect(rosterPresence(roster, bo, true)[1]).toEqual(member(bo, 'member', true));
    const withCy = rosterPresence(roster, cy, true);
    expect(withCy.at(-1)).toEqual(member(cy, null, true));
    expect(rosterPresence(withCy, cy, false)).toEqual(roster);
    expect(rosterPresence(roster, ana, false)[0]).toEqual(member(ana, 'owner', false));
  });
});
