'use client';

import type { ConnectionStatus } from '@parley/client';
import { useConnection, useParley } from '@parley/client/react';
import { connectionLine } from '@/chat/words';

const LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** The connection's state: a coloured dot and a word (on phones the dot, the word in its title). */
export function ConnectionPill() {
  const { status } = useConnection(useParley());
  return (
    <span className={`pill pill-${status}`} data-connection={status} title={LABELS[status]}>
      <span className="pill-label">{LABELS[status]}</span>
    </span>
  );
}

/** Says plainly when messages cannot flow, and what happens to what the user writes meanwhile. */
export function ConnectionBanner() {
  const connection = useConnection(useParley());
  const { status } = connection;
  let text: string | null = null;
  if (status === 'reconnecting') {
    text = 'Reconnecting… Messages you write now are sent when the connection is back.';
  } else if (status === 'offline') {
    text =
      connectionLine(connection) ??
      "You're offline. Messages you write now are sent when you're back online.";
  } else if (status === 'connecting') {
    text = 'Connecting…';
  }
  return (
    <div className="banner-slot" role="status" aria-live="polite">
      {text && (
        <p className={`banner banner-${status}`} data-banner={status}>
          {text}
        </p>
      )}
    </div>
  );
}
