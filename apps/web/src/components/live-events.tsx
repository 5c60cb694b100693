'use client';

import { useLiveEvents, useParley } from '@parley/client/react';

// Long enough for a progress figure or a price, short enough for one line.
const PREVIEW_CHARS = 120;

function preview(data: unknown): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** The newest live event of each type a backend pushed into the room (not stored). */
export function LiveEvents({ room }: { room: string }) {
  const events = useLiveEvents(useParley(), room);
  if (events.length === 0) return null;
  return (
    <section className="live-events" aria-label="Live updates">
      <ul>
        {events.map((event) => (
          <li key={event.type} data-live-event={event.type}>
            <span className="live-type">{event.type}</span>{' '}
            <code dir="auto">{preview(event.data)}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
