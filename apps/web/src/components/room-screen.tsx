'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { rememberWorkspace } from '@/chat/preferences';
import { useChat, useWorkspace } from '@/chat/provider';
import { mayPost, type RoomView } from '@/chat/room-view';
import { postingRule, typingLine } from '@/chat/words';
import type { WorkspaceClient, WorkspaceSnapshot } from '@/chat/workspace-client';
import { AnnouncementRegion, NewMessageAnnouncer } from './announcer';
import { Composer } from './composer';
import { ConnectionBanner } from './connection-status';
import { LiveEvents } from './live-events';
import { MessageList } from './message-list';
import { NameForm } from './name-form';
import { NoticeBanner } from './notice-banner';
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

function JoinedRoom({ workspace, room }: { workspace: string; room: string }) {
  const { client, snapshot } = useWorkspace(workspace);
  const view = snapshot.rooms[room];

  const router = useRouter();

  useEffect(() => {
    client.open(room);
    rememberWorkspace(workspace);
    return () => client.blur(room);
  }, [client, room, workspace]);

  // Removed from this room (in every tab at once): back to the lobby, which says why. Checked
  // against the client, not only this render: opening the room again clears an older notice.
  const notice = snapshot.notice;
  useEffect(() => {
    if (notice?.room !== room) return;
    const now = client.getSnapshot();
    if (now.notice === notice && !now.rooms[room]) router.replace('/');
  }, [client, room, router, notice]);

  useDocumentTitle(snapshot, room);
  // On narrow screens the member list starts folded, so the conversation keeps the space.
  const narrow = useMediaQuery('(max-width: 960px)');

  return (
    <div className="app">
      <RoomNav
        workspace={workspace}
        snapshot={snapshot}
        activeRoom={room}
        onLeave={(name) => void client.leave(name)}
      />
      <main className="room">
        <RoomHeader
          room={room}
          view={view}
          connection={snapshot.connection}
          onLeave={() => {
            void client.leave(room);
            router.push('/');
          }}
        />
        <ConnectionBanner state={snapshot.connection} error={snapshot.connectionError} />
        <NoticeBanner
          notice={snapshot.notice}
          takeFocus={false}
          onDismiss={() => client.dismissNotice()}
        />
        <AnnouncementRegion announcement={snapshot.announcement} />
        {view?.error && (
          <p className="banner banner-offline" role="alert" data-room-error="">
            {view.error}
          </p>
        )}
        {view?.refused ? (
          <p className="refused">
            <Link href="/">Back to the lobby</Link>
          </p>
        ) : view ? (
          <RoomBody room={room} view={view} snapshot={snapshot} client={client} />
        ) : null}
      </main>
      <RoomSidePanel client={client} snapshot={snapshot} room={room} view={view} narrow={narrow} />
    </div>
  );
}

function RoomBody({
  room,
  view,
  snapshot,
  client,
}: {
  room: string;
  view: RoomView;
  snapshot: WorkspaceSnapshot;
  client: WorkspaceClient;
}) {
  const typingNames = useMemo(() => view.typing.map((entry) => entry.user.name), [view.typing]);
  return (
    <>
      <MessageList
        room={room}
        messages={view.messages}
        me={snapshot.me}
        role={view.role}
        hasMore={view.hasMore}
        loadingOlder={view.loadingOlder}
        onLoadOlder={() => void client.loadOlder(room)}
        onRetry={(key) => client.retry(room, key)}
        onEdit={(key, text) => client.editMessage(room, key, text)}
        onDelete={(key) => client.deleteMessage(room, key)}
      />
      <NewMessageAnnouncer messages={view.messages} me={snapshot.me} />
      <LiveEvents events={view.liveEvents} />
      <p className="typing" data-testid="typing">
        {typingLine(typingNames)}
      </p>
      <Composer
        room={room}
        canPost={mayPost(view)}
        rule={view.readOnly ? postingRule(room, mayPost(view)) : null}
        onSend={(text) => client.send(room, text)}
        onTyping={(typing) => client.setTyping(room, typing)}
      />
    </>
  );
}

function useDocumentTitle(snapshot: WorkspaceSnapshot, room: string) {
  const unread = Object.values(snapshot.rooms).reduce((sum, view) => sum + view.unread, 0);
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
