import { type Member, membersHash, ServerEvent } from '@parley/protocol';

/**
 * The member list a storm client holds for its room, kept as @parley/client keeps it (the join
 * answer's list, then the arrivals and departures heard), so that its re-join says which list it
 * holds (`membersHash`) as the client library's does. Only a whole list (`members` presence) is
 * held; a server without member lists (bare Socket.IO) leaves it empty and nothing is sent.
 */
export class HeldMembers {
  private members?: Map<string, Member>;
  private hash?: string;

  /** A join's answer: its list, unless it left the list out because the one held is current. */
  joined(answer: {
    members?: Member[];
    membersUnchanged?: boolean;
    room?: { presence?: string };
  }): void {
    if (answer.membersUnchanged) return;
    this.hash = undefined;
    this.members =
      answer.room?.presence === 'members' && answer.members
        ? new Map(answer.members.map((member) => [member.id, member]))
        : undefined;
  }

  /** Whether `event` is one that changes the list (its payload is then worth parsing). */
  static heard(event: string): boolean {
    return (
      event === ServerEvent.PresenceJoined ||
      event === ServerEvent.PresenceLeft ||
      event === ServerEvent.PresenceChanged
    );
  }

  /** A presence event's payload (`presence:joined`, `presence:left` or `presence:changed`). */
  apply(event: string, payload: { member?: Member; joined?: Member[]; left?: Member[] }): void {
    const members = this.members;
    if (!members) return;
    this.hash = undefined;
    if (event === ServerEvent.PresenceJoined && payload.member) {
      members.set(payload.member.id, payload.member);
    } else if (event === ServerEvent.PresenceLeft && payload.member) {
      members.delete(payload.member.id);
    } else if (event === ServerEvent.PresenceChanged) {
      for (const member of payload.left ?? []) members.delete(member.id);
      for (const member of payload.joined ?? []) members.set(member.id, member);
    }
  }

  /** What a re-join carries: the hash of the list held, if one is. */
  joinFields(): { membersHash?: string } {
    if (!this.members || this.members.size === 0) return {};
    this.hash ??= membersHash([...this.members.values()]);
    return { membersHash: this.hash };
  }
}
