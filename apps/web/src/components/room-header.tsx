import type { RoomView } from '@/chat/room-view';
import type { ConnectionState } from '@/chat/workspace-client';
import { ConnectionPill } from './connection-status';
import { RoomBadges } from './room-marks';

/**
 * The top of a room: its name on one line (cut short with "…" when it does not fit, whole in
 * its title and to screen readers), then who is online, its marks and the topic; the
 * connection and Leave on the right. Nothing in the row wraps, so on a phone the name keeps
 * the width the others leave it instead of breaking every few letters.
 */
export function RoomHeader({
  room,
  view,
  connection,
  onLeave,
}: {
  room: string;
  view: RoomView | undefined;
  connection: ConnectionState;
  onLeave(): void;
}) {
  return (
    <header className="room-header">
      <div className="room-heading">
        <h1 title={`#${room}`}>#{room}</h1>
        <p className="room-meta muted">
          <span className="online-count">{view?.memberCount ?? 0} online</span>
          {view && <RoomBadges visibility={view.visibility} readOnly={view.readOnly} />}
        </p>
        {view?.topic && (
          <p className="topic" dir="auto">
            {view.topic}
          </p>
        )}
      </div>
      <ConnectionPill state={connection} />
      <button type="button" className="secondary" onClick={onLeave}>
        Leave
      </button>
    </header>
  );
}
