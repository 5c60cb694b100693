'use client';

import { ParleyProvider, useOpenRoom, useParley } from '@parley/client/react';
import { ErrorCode } from '@parley/protocol';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useSyncExternalStore } from 'react';
import { useRoomStatus, useUnreadTotal } from '@/chat/hooks';
import { rememberWorkspace } from '@/chat/preferences';
import { useChat, useWorkspaceClient } from '@/chat/provider';
import { describeError } from '@/chat/words';
import { AnnouncementRegion } from './announcer';
import { ConnectionBanner } from './connection-status';
import { NameForm } from './name-form';
import { RemovalNotices } from './notice-banner';
import { RoomBody } from './room-body';
import { RoomHeader } from './room-header';
import { RoomNav } from './room-nav';
import { RoomSidePanel } from './room-side-panel';

export function RoomScreen({ workspace, room }: { workspace: string; room: string }) {
  const chat = useChat();
  if (!chat.ready) return <main className="centered muted">Loading…</main>;
  if (!chat.session) {
    return (
      <main className="centered">
        <NameForm
          heading={`Pick a name to join #${room}`}
          initialName={chat.suggestedName}
          submitLabel="Join"
          onSubmit={chat.signIn}
        />
      </main>
    );
  }
  return <JoinedRoom workspace={workspace} room={room} />;
}

/** The workspace's client, for every part of the screen. */
function JoinedRoom({ workspace, room }: { workspace: string; room: string }) {
  const client = useWorkspaceClient(workspace);
  return (
    <ParleyProvider client={client}>
      <RoomLayout workspace={workspace} room={room} />
    </ParleyProvider>
  );
}

function RoomLayout({ workspace, room }: { workspace: string; room: string }) {
  const client = useParley();
  const router = useRouter();
  // Open (joined, in view) while shown; afterwards it stays joined, counting unread messages.
  useOpenRoom(client, room);
  useEffect(() => rememberWorkspace(workspace), [workspace]);

  const { known, error, removed } = useRoomStatus(client, room);
  // Removed from this room (in every tab at once): back to the lobby, which says why. Checked
  // against the client, not only this render: opening the room again clears an older removal.
  useEffect(() => {
    if (removed && client?.getSnapshot().rooms[room]?.removed) router.replace('/');
  }, [client, room, router, removed]);

  useDocumentTitle(room);
  // On narrow screens the member list starts folded, so the conversation keeps the space.
  const narrow = useMediaQuery('(max-width: 960px)');
  const refused = error?.code === ErrorCode.Forbidden;

  return (
    <div className="app">
      <RoomNav workspace={workspace} activeRoom={room} />
      <main className="room">
        <RoomHeader
          room={room}
          onLeave={() => {
            void client?.leave(room);
            router.push('/');
          }}
        />
        <ConnectionBanner />
        <RemovalNotices takeFocus={false} />
        <AnnouncementRegion />
        {error && (
          <p className="banner banner-offline" role="alert" data-room-error="">
            {describeError(error, room)}
          </p>
        )}
        {refused ? (
          <p className="refused">
            <Link href="/">Back to the lobby</Link>
          </p>
        ) : known ? (
          <RoomBody room={room} />
        ) : null}
      </main>
      <RoomSidePanel room={room} narrow={narrow} />
    </div>
  );
}

function useDocumentTitle(room: string) {
  const unread = useUnreadTotal(useParley());
  useEffect(() => {
    document.title = `${unread > 0 ? `(${unread}) ` : ''}#${room} · Parley`;
  }, [unread, room]);
}

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
    () => false,
  );
}
