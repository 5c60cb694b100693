'use client';

import { useParley } from '@parley/client/react';
import { useRoomDetails } from '@/chat/hooks';
import { ConnectionPill } from './connection-status';
import { RoomBadges } from './room-marks';

/**
 * The top of a room: its name on one line (cut short with "…" when it does not fit, whole in
 * its title and to screen readers), then who is online, its marks and the topic; the
 * connection and Leave on the right. Nothing in the row wraps, so on a phone the name keeps
 * the width the others leave it instead of breaking every few letters.
 */
export function RoomHeader({ room, onLeave }: { room: string; onLeave(): void }) {
  const details = useRoomDetails(useParley(), room);
  return (
    <header className="room-header">
      <div className="room-heading">
        <h1 title={`#${room}`}>#{room}</h1>
        <p className="room-meta muted">
          <span className="online-count">{details?.memberCount ?? 0} online</span>
          {details && <RoomBadges visibility={details.visibility} readOnly={details.readOnly} />}
        </p>
        {details?.topic && (
          <p className="topic" dir="auto">
            {details.topic}
          </p>
        )}
      </div>
      <ConnectionPill />
      <button type="button" className="secondary" onClick={onLeave}>
        Leave
      </button>
    </header>
  );
}
