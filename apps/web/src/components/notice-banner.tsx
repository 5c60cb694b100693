'use client';

import { useEffect, useRef } from 'react';
import type { Notice } from '@/chat/workspace-client';

/**
 * Why the user left a room without asking to (removed, banned). Where they landed because of
 * it, focus moves here, so a screen reader reads it and the keyboard starts from it.
 */
export function NoticeBanner({
  notice,
  takeFocus,
  onDismiss,
}: {
  notice: Notice | null;
  takeFocus: boolean;
  onDismiss(): void;
}) {
  const banner = useRef<HTMLDivElement>(null);
  const id = notice?.id;
  useEffect(() => {
    if (id !== undefined && takeFocus) banner.current?.focus();
  }, [id, takeFocus]);
  if (!notice) return null;
  return (
    <div
      ref={banner}
      className="banner banner-notice"
      role="alert"
      tabIndex={-1}
      data-notice={notice.room}
    >
      <span>{notice.text}</span>{' '}
      <button type="button" className="link" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
