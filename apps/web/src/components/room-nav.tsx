import Link from 'next/link';
import { changeNameHref } from '@/chat/name-change';
import type { WorkspaceSnapshot } from '@/chat/workspace-client';
import { PrivateMark } from './room-marks';
import { SignedInAs } from './signed-in-as';

interface RoomNavProps {
  workspace: string;
  snapshot: WorkspaceSnapshot;
  activeRoom: string;
  onLeave(room: string): void;
}

/** The rooms this tab has joined, with unread counts for the ones not in view. */
export function RoomNav({ workspace, snapshot, activeRoom, onLeave }: RoomNavProps) {
  return (
    <nav className="sidebar" aria-label="Your rooms">
      <Link href="/" className="brand">
        Parley
      </Link>
      <p className="muted workspace-name">{workspace}</p>
      <ul className="joined-rooms">
        {Object.values(snapshot.rooms).map((view) => (
          <li key={view.name} className={view.name === activeRoom ? 'active' : undefined}>
            <Link
              href={`/w/${workspace}/${view.name}`}
              aria-current={view.name === activeRoom ? 'page' : undefined}
              data-room-link={view.name}
              title={`#${view.name}`}
            >
              <span className="joined-name">
                <span className="ellipsis">#{view.name}</span>
                <PrivateMark visibility={view.visibility} />
              </span>
              {view.unread > 0 && (
                <span className="badge" data-unread={view.unread}>
                  {view.unread}
                  <span className="visually-hidden"> unread</span>
                </span>
              )}
            </Link>
            {view.name !== activeRoom && (
              <button
                type="button"
                className="icon"
                aria-label={`Leave #${view.name}`}
                onClick={() => onLeave(view.name)}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      <Link href="/" className="browse">
        Browse rooms
      </Link>
      <SignedInAs
        name={snapshot.me.name}
        change={<Link href={changeNameHref(workspace, activeRoom)}>Change name</Link>}
      />
    </nav>
  );
}
