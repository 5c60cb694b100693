'use client';

import type { Member } from '@parley/protocol';
import { useEffect, useRef, useState } from 'react';
import type { ChatMessage } from '@/chat/messages';
import type { Announcement } from '@/chat/workspace-client';

/**
 * Tells screen readers about new messages from others, one line each. A separate live region,
 * so loading older history or one's own sends is not read out.
 */
export function NewMessageAnnouncer({ messages, me }: { messages: ChatMessage[]; me: Member }) {
  const newestSeen = useRef<number | null>(null);
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
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
 * Reads out the workspace's announcements (a role given to this user) politely, without
 * taking focus. Only those made while it shows: one made before it mounted (on another screen)
 * was read there already.
 */
export function AnnouncementRegion({ announcement }: { announcement: Announcement | null }) {
  const [shownFrom] = useState(() => announcement?.id ?? 0);
  const text = announcement && announcement.id > shownFrom ? announcement.text : '';
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-announcements="">
      {text}
    </div>
  );
}
