'use client';

import { SEARCH_DEBOUNCE_MS, searchPrefix } from '@parley/client';
import { ParleyProvider, useParley, useRoomList } from '@parley/client/react';
import { ErrorCode } from '@parley/protocol';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { afterNameChange, CHANGE_NAME_PARAM } from '@/chat/name-change';
import {
  isRoomName,
  isWorkspaceName,
  ROOM_RULES,
  suggestRoomName,
  WORKSPACE_RULES,
} from '@/chat/names';
import { DEFAULT_WORKSPACE, lastWorkspace, rememberWorkspace } from '@/chat/preferences';
import { useChat, useWorkspaceClient } from '@/chat/provider';
import { createRoom } from '@/chat/room-admin';
import { describeError } from '@/chat/words';
import { AnnouncementRegion } from './announcer';
import { AppHeader } from './app-header';
import { ConnectionBanner } from './connection-status';
import { CreateRoomForm } from './create-room-form';
import { NameForm } from './name-form';
import { RemovalNotices } from './notice-banner';
import { RoomDirectoryCard } from './room-directory';
import { SignedInAs } from './signed-in-as';

export function Lobby() {
  const chat = useChat();
  const router = useRouter();
  // Opened from a room's "Change name": the name form first, then back to that room.
  const changeFrom = useSearchParams().get(CHANGE_NAME_PARAM);
  const [editingName, setEditingName] = useState(false);
  const [workspace, setWorkspace] = useState(DEFAULT_WORKSPACE);

  useEffect(() => setWorkspace(lastWorkspace()), []);

  function doneWithName() {
    setEditingName(false);
    if (changeFrom !== null) router.replace(afterNameChange(changeFrom));
  }

  if (!chat.ready) return <main className="centered muted">Loading…</main>;

  if (!chat.session || editingName || changeFrom !== null) {
    return (
      <main className="centered">
        <AppHeader />
        <p className="lede">Realtime rooms. Pick a name and start talking.</p>
        <NameForm
          heading={chat.session ? 'Change your name' : 'Welcome to Parley'}
          initialName={chat.suggestedName}
          submitLabel={chat.session ? 'Save name' : 'Continue'}
          onSubmit={async (name) => {
            await chat.signIn(name);
            doneWithName();
          }}
          onCancel={chat.session ? doneWithName : undefined}
        />
      </main>
    );
  }

  return (
    <main className="lobby">
      <AppHeader>
        <SignedInAs
          name={chat.session.user.name}
          change={
            <button type="button" className="link" onClick={() => setEditingName(true)}>
              Change name
            </button>
          }
        />
      </AppHeader>
      <WorkspacePicker
        workspace={workspace}
        onChange={(next) => {
          setWorkspace(next);
          rememberWorkspace(next);
        }}
      />
      <WorkspaceRooms key={workspace} workspace={workspace} />
    </main>
  );
}

function WorkspacePicker({
  workspace,
  onChange,
}: {
  workspace: string;
  onChange(workspace: string): void;
}) {
  const [draft, setDraft] = useState(workspace);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  useEffect(() => setDraft(workspace), [workspace]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const value = draft.trim().toLowerCase();
    if (!isWorkspaceName(value)) {
      setError(WORKSPACE_RULES);
      return;
    }
    setError(null);
    onChange(value);
  }

  return (
    <form className="card row workspace-picker" onSubmit={submit} noValidate>
      <label htmlFor={inputId}>Workspace</label>
      <input
        id={inputId}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${inputId}-hint`}
      />
      <button type="submit" className="secondary">
        Switch
      </button>
      <p
        id={`${inputId}-hint`}
        className={error ? 'hint error' : 'visually-hidden'}
        role={error ? 'alert' : undefined}
      >
        {error ?? WORKSPACE_RULES}
      </p>
    </form>
  );
}

/** The workspace's client, for every part of the lobby. */
function WorkspaceRooms({ workspace }: { workspace: string }) {
  const client = useWorkspaceClient(workspace);
  return (
    <ParleyProvider client={client}>
      <LobbyRooms workspace={workspace} />
    </ParleyProvider>
  );
}

function LobbyRooms({ workspace }: { workspace: string }) {
  const router = useRouter();
  const client = useParley();
  const directory = useRoomList(client);
  useEffect(() => {
    if (!client) return;
    client.watchRoomList();
    return () => client.unwatchRoomList();
  }, [client]);
  // The search survives a visit to a room: the client keeps it, and the box starts from it.
  const [search, setSearch] = useState(() => client?.getSnapshot().roomDirectory.query ?? '');
  const prefix = searchPrefix(search);
  useEffect(() => {
    if (!client || prefix === client.getSnapshot().roomDirectory.query) return;
    const timer = setTimeout(() => client.searchRooms(prefix), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [client, prefix]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const suggestion = draft && !isRoomName(draft) ? suggestRoomName(draft) : '';

  function openRoom(room: string) {
    router.push(`/w/${workspace}/${room}`);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (isRoomName(draft)) return openRoom(draft);
    setError(suggestion ? `${ROOM_RULES} Try “${suggestion}”.` : ROOM_RULES);
  }

  return (
    <>
      <ConnectionBanner />
      <RemovalNotices takeFocus={true} />
      <AnnouncementRegion />
      <RoomDirectoryCard
        workspace={workspace}
        directory={directory}
        search={search}
        onSearchChange={setSearch}
        onShowMore={() => client?.showMoreRooms()}
        onRetry={() => client?.searchRooms(directory.query)}
        onOpen={openRoom}
      />
      <form className="card stack" onSubmit={submit} noValidate>
        <label htmlFor={inputId}>Create or join a room</label>
        <div className="row">
          <span className="prefix" aria-hidden="true">
            #
          </span>
          <input
            id={inputId}
            value={draft}
            placeholder="general"
            onChange={(event) => {
              setDraft(event.target.value);
              setError(null);
            }}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${inputId}-hint`}
          />
          <button type="submit">Join</button>
        </div>
        <p
          id={`${inputId}-hint`}
          className={error ? 'hint error' : 'hint'}
          role={error ? 'alert' : undefined}
        >
          {error ?? (suggestion ? `${ROOM_RULES} Try “${suggestion}”.` : ROOM_RULES)}
        </p>
        {suggestion && (
          <button type="button" className="link" onClick={() => openRoom(suggestion)}>
            Join #{suggestion}
          </button>
        )}
      </form>
      <CreateRoomForm
        onJoin={openRoom}
        onCreate={async (room) => {
          const result = await createRoom(client, room);
          if (!result.ok) {
            return {
              error: describeError(result.error, room.room),
              exists: result.error.code === ErrorCode.Conflict,
            };
          }
          openRoom(room.room);
          return null;
        }}
      />
    </>
  );
}
