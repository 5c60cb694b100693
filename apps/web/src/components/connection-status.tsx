import type { ConnectionState } from '@/chat/workspace-client';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** The connection's state: a coloured dot and a word (on phones the dot, the word in its title). */
export function ConnectionPill({ state }: { state: ConnectionState }) {
  return (
    <span className={`pill pill-${state}`} data-connection={state} title={LABELS[state]}>
      <span className="pill-label">{LABELS[state]}</span>
    </span>
  );
}

/** Says plainly when messages cannot flow, and what happens to what the user writes meanwhile. */
export function ConnectionBanner({ state, error }: { state: ConnectionState; error?: string }) {
  let text: string | null = null;
  if (state === 'reconnecting') {
    text = 'Reconnecting… Messages you write now are sent when the connection is back.';
  } else if (state === 'offline') {
    text = error ?? "You're offline. Messages you write now are sent when you're back online.";
  } else if (state === 'connecting') {
    text = 'Connecting…';
  }
  return (
    <div className="banner-slot" role="status" aria-live="polite">
      {text && (
        <p className={`banner banner-${state}`} data-banner={state}>
          {text}
        </p>
      )}
    </div>
  );
}
