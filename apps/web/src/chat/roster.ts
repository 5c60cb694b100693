import type { ChatMessage } from '@parley/client';
import { atLeast, type Member, type Role, type RoomMember, roleRank } from '@parley/protocol';

/**
 * Who may do what to whom in a room, as the members panel and the message actions show it, and
 * the panel's list of members kept live. The server decides; this only offers what it would
 * allow (docs/access-control.md).
 */

/** Roles someone may give: moderators add members; owners any role. */
export function assignableRoles(actor: Role | null): Role[] {
  if (actor === 'owner') return ['member', 'moderator', 'owner'];
  if (actor === 'moderator') return ['member'];
  return [];
}

/**
 * Whether `actor` may change the role of, remove or ban `target`: moderators act on those below
 * them, owners on anyone; nobody on themselves here.
 */
export function mayManage(actor: Role | null, actorId: string, target: RoomMember): boolean {
  if (target.id === actorId || !atLeast(actor, 'moderator')) return false;
  return actor === 'owner' || roleRank(target.role) < roleRank(actor);
}

/** Only a stored message of one's own, not deleted, may be edited. */
export function mayEdit(meId: string, message: ChatMessage): boolean {
  return (
    message.seq !== undefined &&
    !message.deleted &&
    !message.hidden &&
    message.author.id === meId &&
    message.author.kind !== 'integration'
  );
}

/** One's own stored messages, or anyone's as a moderator or owner. */
export function mayDelete(role: Role | null, meId: string, message: ChatMessage): boolean {
  if (message.seq === undefined || message.deleted || message.hidden) return false;
  return message.author.id === meId || atLeast(role, 'moderator');
}

/**
 * People to offer in "add someone": those online in the rooms this tab is in (what a client can
 * see of the workspace), but not the one adding, integrations, or who has a role here already.
 */
export function addCandidates(
  present: readonly (readonly Member[])[],
  roster: readonly RoomMember[],
  meId: string,
): Member[] {
  const ranked = new Set(roster.filter((m) => m.role !== null).map((m) => m.id));
  const byId = new Map<string, Member>();
  for (const members of present) {
    for (const member of members) {
      if (member.id === meId || member.kind === 'integration' || ranked.has(member.id)) continue;
      byId.set(member.id, { id: member.id, name: member.name });
    }
  }
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || cmp(a.id, b.id));
}

/** A person's name, and their id when someone else in `among` has the same name. */
export function personLabel(person: Member, among: readonly Member[]): string {
  const twin = among.some((other) => other.id !== person.id && other.name === person.name);
  return twin ? `${person.name} (${person.id})` : person.name;
}

/** Someone came (or left): the panel's list follows without asking the server again. */
export function rosterPresence(
  roster: readonly RoomMember[],
  member: Member,
  online: boolean,
): RoomMember[] {
  const known = roster.find((entry) => entry.id === member.id);
  if (!known) return online ? [...roster, { ...member, role: null, online: true }] : [...roster];
  // A visitor is listed only while present.
  if (!online && known.role === null) return roster.filter((entry) => entry !== known);
  return roster.map((entry) => (entry === known ? { ...entry, online } : entry));
}

/** How long a ban can be chosen for. */
export const BAN_DURATIONS = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 24 * 3600 },
  { label: '1 week', seconds: 7 * 24 * 3600 },
  { label: '30 days', seconds: 30 * 24 * 3600 },
] as const;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
