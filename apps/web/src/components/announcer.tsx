'use client';

import { useParley } from '@parley/client/react';
import { useEffect, useRef, useState } from 'react';
import { useMe, useRoleChange, useTimeline } from '@/chat/hooks';
import { roleChangeLine } from '@/chat/words';

/**
 * Tells screen readers about new messages from others in the room, one line each. A separate
 * live region, so loading older history or one's own sends is not read out.
 */
export function NewMessageAnnouncer({ room }: { room: string }) {
  const client = useParley();
  const messages = useTimeline(client, room)?.messages;
  const me = useMe(client);
  const newestSeen = useRef<number | null>(null);
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    if (!messages) return;
    const stored = messages.filter((message) => message.seq !== undefined);
    const newest = stored.at(-1)?.seq ?? 0;
    if (newestSeen.current === null) {
      newestSeen.current = newest;
      return;
    }
    // Edits and deletions are entries of the log too, but not news to read out.
    const fresh = stored.filter(
      (m) => (m.seq ?? 0) > (newestSeen.current ?? 0) && m.author.id !== me.id && !m.hidden,
    );
    newestSeen.current = Math.max(newestSeen.current, newest);
    const last = fresh.at(-1);
    if (last) setAnnouncement(`${last.author.name}: ${last.text}`);
  }, [messages, me.id]);

  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true">
      {announcement}
    </div>
  );
}

/**
 * Reads out news of this user's roles (a room they were added to, a new role) politely,
 * without taking focus. Only what came while it shows: news from before it mounted (on another
 * screen) was read there already.
 */
export function AnnouncementRegion() {
  const change = useRoleChange(useParley());
  const [shownFrom] = useState(() => change?.id ?? 0);
  const text =
    change && change.id > shownFrom
      ? roleChangeLine(change.room, change.previous, change.role)
      : '';
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-announcements="">
      {text}
    </div>
  );
}
