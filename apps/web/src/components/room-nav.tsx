'use client';

import { useParley } from '@parley/client/react';
import Link from 'next/link';
import { useJoinedRooms, useMe } from '@/chat/hooks';
import { changeNameHref } from '@/chat/name-change';
import { useChat } from '@/chat/provider';
import { PrivateMark } from './room-marks';
import { SignedInAs } from './signed-in-as';

interface RoomNavProps {
  workspace: string;
  activeRoom: string;
}

/** The rooms this tab has joined, with unread counts for the ones not in view. */
export function RoomNav({ workspace, activeRoom }: RoomNavProps) {
  const client = useParley();
  const rooms = useJoinedRooms(client);
  const me = useMe(client, useChat().session?.user);
  return (
    <nav className="sidebar" aria-label="Your rooms">
      <Link href="/" className="brand">
        Parley
      </Link>
      <p className="muted workspace-name">{workspace}</p>
      <ul className="joined-rooms">
        {rooms.map((view) => (
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
                onClick={() => void client?.leave(view.name)}
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
        name={me.name}
        change={<Link href={changeNameHref(workspace, activeRoom)}>Change name</Link>}
      />
    </nav>
  );
}
