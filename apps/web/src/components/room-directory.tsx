'use client';

import { type ErrorBody, ErrorCode } from '@parley/protocol';
import { useEffect, useId, useRef } from 'react';
import type { RoomDirectory, ShownRooms } from '@/chat/room-directory';
import { describeError } from '@/chat/words';
import { PrivateMark } from './room-marks';

/**
 * The lobby's list of rooms: a search box, a page of rooms by name with their online counts,
 * and "Show more rooms" while the server has more. The caller owns the search text and asks
 * for the pages.
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
  const list = useRef<HTMLUListElement>(null);
  const more = useRef<HTMLButtonElement>(null);
  const focusFrom = useRef<number | null>(null);
  const { shown, pending, error } = directory;
  const rooms = shown?.rooms ?? [];
  const searching = pending !== null && pending.cursor === undefined;

  // After "Show more rooms", focus goes to the first room it added: the button may be gone,
  // and a keyboard user goes on from there. Not when they went elsewhere meanwhile.
  useEffect(() => {
    const from = focusFrom.current;
    if (from === null || pending) return;
    focusFrom.current = null;
    const active = document.activeElement;
    if (active !== more.current && active !== document.body) return;
    list.current?.querySelectorAll('a')[from]?.focus();
  }, [pending]);

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
        <ul
          ref={list}
          id={`${id}-list`}
          className="room-directory"
          data-testid="room-directory"
          aria-busy={searching || undefined}
        >
          {rooms.map((room) => (
            <li key={room.name}>
              <a
                href={`/w/${workspace}/${room.name}`}
                onClick={(event) => {
                  event.preventDefault();
                  onOpen(room.name);
                }}
              >
                <span className="room-title">
                  <span className="room-name">#{room.name}</span>
                  <PrivateMark visibility={room.visibility} />
                  {room.readOnly && <span className="muted read-only-mark">read-only</span>}
                </span>
                {room.topic && (
                  <span className="muted topic" dir="auto">
                    {room.topic}
                  </span>
                )}
              </a>
              <span className="count" data-room-count={room.name}>
                {room.memberCount} online
              </span>
            </li>
          ))}
        </ul>
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
            focusFrom.current = rooms.length;
            onShowMore();
          }}
        >
          Show more rooms
        </button>
      )}
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
