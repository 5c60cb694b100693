'use client';

import type { RoomDirectory, ShownRooms } from '@parley/client';
import { type ErrorBody, ErrorCode, type RoomSummary } from '@parley/protocol';
import { useEffect, useId, useMemo, useRef } from 'react';
import { byActivity } from '@/chat/room-sections';
import { describeError } from '@/chat/words';
import { PrivateMark } from './room-marks';

/**
 * The lobby's list of rooms: a search box, the rooms with people online first (busiest
 * first), then the quiet ones; "Show more rooms" while the server has more. Pages come by name,
 * so the rooms with people online are those of the pages loaded. The caller owns the search
 * text and asks for the pages.
 */
export function RoomDirectoryCard({
  workspace,
  directory,
  search,
  onSearchChange,
  onShowMore,
  onRetry,
  onOpen,
}: {
  workspace: string;
  directory: RoomDirectory;
  search: string;
  onSearchChange(search: string): void;
  onShowMore(): void;
  onRetry(): void;
  onOpen(room: string): void;
}) {
  const id = useId();
  const lists = useRef<HTMLDivElement>(null);
  const more = useRef<HTMLButtonElement>(null);
  const shownBefore = useRef<Set<string> | null>(null);
  const { shown, pending, error } = directory;
  const rooms = shown?.rooms ?? [];
  const { active, quiet } = useMemo(() => byActivity(rooms), [rooms]);
  const searching = pending !== null && pending.cursor === undefined;

  // After "Show more rooms", focus goes to the first room it added (by name, in whichever
  // part it landed): the button may be gone, and a keyboard user goes on from there. Not when
  // they went elsewhere meanwhile.
  useEffect(() => {
    const before = shownBefore.current;
    if (before === null || pending) return;
    shownBefore.current = null;
    const focused = document.activeElement;
    if (focused !== more.current && focused !== document.body) return;
    const added = rooms.find((room) => !before.has(room.name));
    if (!added) return;
    lists.current?.querySelector<HTMLElement>(`[data-directory-room="${added.name}"]`)?.focus();
  }, [pending, rooms]);

  const listProps = { workspace, onOpen };
  return (
    <section className="card stack" aria-labelledby="rooms-heading">
      <h2 id="rooms-heading">Rooms in {workspace}</h2>
      <search className="row room-search">
        <label htmlFor={`${id}-search`}>Search rooms</label>
        <input
          id={`${id}-search`}
          type="search"
          value={search}
          placeholder="Name starts with…"
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => onSearchChange(event.target.value)}
          aria-controls={rooms.length > 0 ? `${id}-list` : undefined}
          aria-describedby={`${id}-status`}
        />
      </search>
      <p id={`${id}-status`} className="hint" role="status">
        {describeShown(shown)}
      </p>
      {rooms.length > 0 && (
        <div
          ref={lists}
          id={`${id}-list`}
          className="room-sections"
          data-testid="room-directory"
          aria-busy={searching || undefined}
        >
          {active.length > 0 && (
            <RoomList
              {...listProps}
              id={`${id}-active`}
              heading="Active now"
              note={shown?.nextCursor != null ? 'Among the rooms loaded so far.' : undefined}
              rooms={active}
              section="active"
            />
          )}
          {quiet.length > 0 && (
            <RoomList
              {...listProps}
              id={`${id}-quiet`}
              heading="No one online"
              rooms={quiet}
              section="quiet"
            />
          )}
        </div>
      )}
      {error && (
        <p className="hint error" role="alert">
          Couldn’t load the rooms. {describePageError(error)}{' '}
          <button type="button" className="link" onClick={onRetry}>
            Try again
          </button>
        </p>
      )}
      {shown?.nextCursor != null && (
        <button
          ref={more}
          type="button"
          className="secondary more-rooms"
          aria-controls={`${id}-list`}
          onClick={() => {
            shownBefore.current = new Set(rooms.map((room) => room.name));
            onShowMore();
          }}
        >
          Show more rooms
        </button>
      )}
    </section>
  );
}

/** One part of the directory: a heading and its rooms. Active rooms say how many are online. */
function RoomList({
  id,
  heading,
  note,
  rooms,
  section,
  workspace,
  onOpen,
}: {
  id: string;
  heading: string;
  note?: string;
  rooms: RoomSummary[];
  section: 'active' | 'quiet';
  workspace: string;
  onOpen(room: string): void;
}) {
  return (
    <section className="room-section" aria-labelledby={id} data-section={section}>
      <h3 id={id}>
        {heading} <span className="muted">({rooms.length})</span>
      </h3>
      {note && <p className="hint">{note}</p>}
      <ul className="room-directory">
        {rooms.map((room) => (
          <li key={room.name}>
            <a
              href={`/w/${workspace}/${room.name}`}
              data-directory-room={room.name}
              onClick={(event) => {
                event.preventDefault();
                onOpen(room.name);
              }}
            >
              <span className="room-title">
                <span className="room-name" title={`#${room.name}`}>
                  #{room.name}
                </span>
                <PrivateMark visibility={room.visibility} />
                {room.readOnly && <span className="muted read-only-mark">read-only</span>}
              </span>
              {room.topic && (
                <span className="muted topic" dir="auto">
                  {room.topic}
                </span>
              )}
            </a>
            {room.memberCount > 0 && (
              <span className="count" data-room-count={room.name}>
                {room.memberCount} online
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function describeShown(shown: ShownRooms | null): string {
  if (!shown) return 'Loading rooms…';
  const { prefix, rooms, nextCursor } = shown;
  if (rooms.length === 0) {
    return prefix
      ? `No rooms start with “${prefix}”.`
      : 'No rooms yet. Create the first one below.';
  }
  const count = `${rooms.length} room${rooms.length === 1 ? '' : 's'}`;
  const matching = prefix ? ` starting with “${prefix}”` : '';
  return nextCursor === null ? `${count}${matching}.` : `First ${count}${matching} by name.`;
}

function describePageError(error: ErrorBody): string {
  // The shared wording speaks of storing messages; a list that did not come needs its own.
  return error.code === ErrorCode.Unavailable
    ? 'The server did not answer in time.'
    : describeError(error);
}
