import type { Visibility } from '@parley/protocol';

/** A padlock, drawn (an emoji renders differently everywhere); its meaning is said in words. */
function LockIcon() {
  return (
    <svg
      className="lock-icon"
      viewBox="0 0 16 16"
      width="0.85em"
      height="0.85em"
      aria-hidden="true"
      focusable="false"
    >
      <path
        fill="currentColor"
        d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v6a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 14.5v-6A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z"
      />
    </svg>
  );
}

/** The lock after a private room's name in lists: screen readers hear "private". */
export function PrivateMark({ visibility }: { visibility: Visibility }) {
  if (visibility !== 'private') return null;
  return (
    <span className="private-mark" title="Private room: members only" data-private="">
      <LockIcon />
      <span className="visually-hidden"> (private)</span>
    </span>
  );
}

/** Badges beside a room's heading: private, read-only. */
export function RoomBadges({
  visibility,
  readOnly,
}: {
  visibility: Visibility;
  readOnly: boolean;
}) {
  if (visibility !== 'private' && !readOnly) return null;
  return (
    <span className="room-badges">
      {visibility === 'private' && (
        <span className="room-badge" title="Only members can see and join it" data-private="">
          <LockIcon /> Private
        </span>
      )}
      {readOnly && (
        <span className="room-badge" title="Only moderators and owners post">
          Read-only
        </span>
      )}
    </span>
  );
}
