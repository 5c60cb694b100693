'use client';

import { atLeast } from '@parley/protocol';
import { useMemo } from 'react';
import { configureRoom, useRoomMembers } from '@/chat/room-admin';
import type { RoomView } from '@/chat/room-view';
import { addCandidates } from '@/chat/roster';
import type { WorkspaceClient, WorkspaceSnapshot } from '@/chat/workspace-client';
import { MembersPanel } from './members-panel';
import { PresenceList } from './presence-list';
import { RoomSettings } from './room-settings';

/**
 * Who is here; and for the room's moderators and owners, its members and settings. On narrow
 * screens it starts folded, so the conversation keeps the space.
 */
export function RoomSidePanel({
  client,
  snapshot,
  room,
  view,
  narrow,
}: {
  client: WorkspaceClient;
  snapshot: WorkspaceSnapshot;
  room: string;
  view: RoomView | undefined;
  narrow: boolean;
}) {
  const moderates = atLeast(view?.role, 'moderator');
  const roster = useRoomMembers(client, room, view?.joined ?? false, moderates);
  const { rooms, me } = snapshot;
  const candidates = useMemo(
    () =>
      addCandidates(
        Object.values(rooms).map((joined) => joined.members),
        roster.members ?? [],
        me.id,
      ),
    [rooms, roster.members, me.id],
  );
  return (
    <aside className="side-panel">
      <details className="collapsible" open={!narrow}>
        <summary>Members ({view?.members.length ?? 0})</summary>
        <PresenceList members={view?.members ?? []} me={me} />
        {view && moderates && (
          <>
            <MembersPanel
              room={room}
              me={me}
              role={view.role}
              members={roster.members}
              error={roster.error}
              candidates={candidates}
              onAdd={roster.add}
              onRemove={roster.remove}
            />
            <RoomSettings
              room={room}
              topic={view.topic}
              readOnly={view.readOnly}
              onSave={(change) => configureRoom(client, room, change)}
            />
          </>
        )}
      </details>
    </aside>
  );
}
