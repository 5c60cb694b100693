'use client';

import { useParley, usePresence, usePresencePages } from '@parley/client/react';
import { atLeast } from '@parley/protocol';
import { useMemo } from 'react';
import { useMe, usePresentEverywhere, useRoomDetails, useRoomStatus } from '@/chat/hooks';
import { configureRoom, useRoomMembers } from '@/chat/room-admin';
import { addCandidates } from '@/chat/roster';
import { MembersPanel } from './members-panel';
import { PresenceList } from './presence-list';
import { RoomSettings } from './room-settings';

/**
 * Who is here; and for the room's moderators and owners, its members and settings. On narrow
 * screens it starts folded, so the conversation keeps the space.
 */
export function RoomSidePanel({ room, narrow }: { room: string; narrow: boolean }) {
  const client = useParley();
  const details = useRoomDetails(client, room);
  const { joined } = useRoomStatus(client, room);
  const presence = usePresence(client, room);
  const pages = usePresencePages(client, room);
  const { members } = presence;
  const me = useMe(client);
  const moderates = atLeast(details?.role, 'moderator');
  const roster = useRoomMembers(client, room, joined, moderates);
  const present = usePresentEverywhere(client);
  const candidates = useMemo(
    () => addCandidates(present, roster.members ?? [], me.id),
    [present, roster.members, me.id],
  );
  return (
    <aside className="side-panel">
      <details className="collapsible" open={!narrow}>
        <summary>
          {presence.mode === 'count'
            ? `${presence.count} online`
            : `Members (${presence.status === 'live' ? members.length : presence.count})`}
        </summary>
        <PresenceList room={room} presence={presence} pages={pages} me={me} />
        {details && moderates && (
          <>
            <MembersPanel
              room={room}
              me={me}
              role={details.role}
              members={roster.members}
              error={roster.error}
              candidates={candidates}
              onAdd={roster.add}
              onRemove={roster.remove}
            />
            <RoomSettings
              room={room}
              topic={details.topic}
              readOnly={details.readOnly}
              onSave={(change) => configureRoom(client, room, change)}
            />
          </>
        )}
      </details>
    </aside>
  );
}
