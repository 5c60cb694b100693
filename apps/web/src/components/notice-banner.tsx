'use client';

import { useParley } from '@parley/client/react';
import { useEffect, useRef } from 'react';
import { useRemovals } from '@/chat/hooks';
import { removalLine } from '@/chat/words';

/**
 * Why the user left a room without asking to (removed, banned), one notice a room, until they
 * dismiss it (which forgets the room) or open the room again. Where they landed because of it,
 * focus moves to the newest, so a screen reader reads it and the keyboard starts from it.
 */
export function RemovalNotices({ takeFocus }: { takeFocus: boolean }) {
  const client = useParley();
  const removals = useRemovals(client);
  return removals.map(({ room, reason, until }) => (
    <NoticeBanner
      key={room}
      room={room}
      text={removalLine(room, reason, until)}
      takeFocus={takeFocus}
      onDismiss={() => void client?.leave(room)}
    />
  ));
}

function NoticeBanner({
  room,
  text,
  takeFocus,
  onDismiss,
}: {
  room: string;
  text: string;
  takeFocus: boolean;
  onDismiss(): void;
}) {
  const banner = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (takeFocus) banner.current?.focus();
  }, [takeFocus]);
  return (
    <div
      ref={banner}
      className="banner banner-notice"
      role="alert"
      tabIndex={-1}
      data-notice={room}
    >
      <span>{text}</span>{' '}
      <button type="button" className="link" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
