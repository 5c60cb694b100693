import type { Member } from '@parley/protocol';

export function PresenceList({ members, me }: { members: readonly Member[]; me: Member }) {
  const sorted = [...members].sort((a, b) =>
    a.id === me.id ? -1 : b.id === me.id ? 1 : a.name.localeCompare(b.name),
  );
  return (
    <section aria-labelledby="members-heading" className="members">
      <h2 id="members-heading">Online — {members.length}</h2>
      <ul className="member-list" data-testid="members">
        {sorted.map((member) => (
          <li key={member.id} dir="auto">
            <span className="presence-dot" aria-hidden="true" />
            {member.name}
            {member.id === me.id && <span className="muted"> (you)</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
