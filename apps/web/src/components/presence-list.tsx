'use client';

import type { Presence, PresencePagesView } from '@parley/client/react';
import type { Member } from '@parley/protocol';
import { describeError } from '@/chat/words';

/** Me first, then by name. */
function byName(members: readonly Member[], me: Member): Member[] {
  return [...members].sort((a, b) =>
    a.id === me.id ? -1 : b.id === me.id ? 1 : a.name.localeCompare(b.name),
  );
}

function People({
  members,
  me,
  label,
}: {
  members: readonly Member[];
  me: Member;
  label?: string;
}) {
  return (
    <ul className="member-list" data-testid="members" aria-label={label}>
      {byName(members, me).map((member) => (
        <li key={member.id} dir="auto">
          <span className="presence-dot" aria-hidden="true" />
          {member.name}
          {member.id === me.id && <span className="muted"> (you)</span>}
        </li>
      ))}
    </ul>
  );
}

/**
 * Who is here. In `members` presence, everyone, live. In `count` presence (a room too busy for
 * every arrival and departure to be sent), the count, and who is here on demand, a page at a
 * time: a list read then, not kept live, and said so.
 */
export function PresenceList({
  room,
  presence,
  pages,
  me,
}: {
  room: string;
  presence: Presence;
  /** Who is here, read page by page on demand (`usePresencePages`). */
  pages: PresencePagesView;
  me: Member;
}) {
  const { mode, count, members, status } = presence;
  if (mode === 'members') {
    return (
      <section aria-labelledby="members-heading" className="members" data-presence="members">
        <h2 id="members-heading">Online — {status === 'live' ? members.length : count}</h2>
        {status === 'stale' && (
          <p className="hint" role="status">
            Updating who's here…
          </p>
        )}
        <People members={members} me={me} />
      </section>
    );
  }
  const listed = pages.members.length;
  return (
    <section aria-labelledby="members-heading" className="members" data-presence="count">
      <h2 id="members-heading">Online — {count}</h2>
      <p className="online-total" data-testid="online-count">
        {count} online
      </p>
      <p className="hint">Too many people to list live.</p>
      {pages.started && (
        <>
          <People members={pages.members} me={me} label={`Who's here in #${room}`} />
          <p className="hint" role="status">
            {pages.done
              ? `${listed} listed, as of when asked.`
              : `${listed} of about ${pages.memberCount ?? count} listed.`}
          </p>
        </>
      )}
      {pages.error && (
        <p className="hint error" role="alert">
          Could not list who's here: {describeError(pages.error, room)}
        </p>
      )}
      <div className="presence-actions">
        {!pages.done && (
          <button
            type="button"
            className="secondary"
            disabled={pages.loading}
            onClick={pages.loadMore}
          >
            {pages.loading ? 'Loading…' : pages.started ? 'Show more' : "Show who's here"}
          </button>
        )}
        {pages.started && !pages.loading && (
          <button type="button" className="link" onClick={pages.reset}>
            Hide list
          </button>
        )}
      </div>
    </section>
  );
}
