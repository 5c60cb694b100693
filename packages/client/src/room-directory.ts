import type { AckDataOf, ErrorBody, PayloadInputOf, RoomSummary } from '@parley/protocol';

/**
 * The lobby's room directory: one page of a workspace's rooms at a time, by name, narrowed by a
 * search. A workspace may hold thousands of rooms, so the lobby never asks for all of them.
 * Pure state: the client sends the pages this asks for and hands back the answers.
 */

/** Rooms asked for per page (the protocol allows up to `LIMITS.roomListPageMax`). */
export const ROOM_PAGE_SIZE = 50;
/** A search waits for a pause in typing this long, so one word costs one request. */
export const SEARCH_DEBOUNCE_MS = 200;

export interface ShownRooms {
  /** The search these rooms answer: names starting with it ('' for every room). */
  prefix: string;
  /** By name. */
  rooms: RoomSummary[];
  /** Where the next page starts; null when `rooms` holds every match. */
  nextCursor: string | null;
}

/** A page asked for: the first of a search when `cursor` is absent, else the next one. */
export interface PageRequest {
  id: number;
  prefix: string;
  cursor?: string;
}

export interface RoomDirectory {
  /** The search asked for last. */
  query: string;
  /** What the server answered, or null until its first answer. */
  shown: ShownRooms | null;
  /** The page on its way; an answer to any other request is stale and dropped. */
  pending: PageRequest | null;
  /**
   * `room:updated` heard while a page was on its way, newest per room: the page may have been
   * read before them, so they are applied over it when it arrives.
   */
  heard: RoomSummary[];
  /** Why the last page failed, until a page arrives. */
  error: ErrorBody | null;
  /** Requests made so far, to number the next one. */
  requests: number;
}

/** The directory once a page is asked for, and the request to send. */
export interface AskedPage {
  directory: RoomDirectory;
  page: PageRequest;
}

type RoomListAnswer = AckDataOf<'room:list'>;

export function emptyDirectory(): RoomDirectory {
  return { query: '', shown: null, pending: null, heard: [], error: null, requests: 0 };
}

/** What someone typed in the search box as a name prefix: lowercase, only name characters. */
export function searchPrefix(input: string): string {
  return input
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .slice(0, 64);
}

/**
 * Asks for the first page of `prefix`, replacing whatever was on its way. The rooms shown stay
 * until the answer replaces them, so the list does not blink while someone types.
 */
export function firstPage(directory: RoomDirectory, prefix: string): AskedPage {
  const page: PageRequest = { id: directory.requests + 1, prefix };
  return {
    directory: { ...directory, query: prefix, pending: page, heard: [], requests: page.id },
    page,
  };
}

/** Asks for the page after the rooms shown, or null when there is none or a page is coming. */
export function nextPage(directory: RoomDirectory): AskedPage | null {
  const { shown } = directory;
  if (!shown || shown.nextCursor === null || directory.pending) return null;
  const page: PageRequest = {
    id: directory.requests + 1,
    prefix: shown.prefix,
    cursor: shown.nextCursor,
  };
  return { directory: { ...directory, pending: page, heard: [], requests: page.id }, page };
}

export function pagePayload(page: PageRequest): PayloadInputOf<'room:list'> {
  return {
    limit: ROOM_PAGE_SIZE,
    ...(page.prefix && { prefix: page.prefix }),
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  };
}

/** A first page replaces the rooms shown; a next page adds to them. */
export function pageArrived(
  directory: RoomDirectory,
  id: number,
  answer: RoomListAnswer,
): RoomDirectory {
  const page = directory.pending;
  if (page?.id !== id) return directory;
  const earlier = page.cursor !== undefined ? (directory.shown?.rooms ?? []) : [];
  let next: RoomDirectory = {
    ...directory,
    shown: {
      prefix: page.prefix,
      rooms: byName([...earlier, ...answer.rooms]),
      nextCursor: answer.nextCursor,
    },
    pending: null,
    heard: [],
    error: null,
  };
  for (const room of directory.heard) next = roomUpdated(next, room);
  return next;
}

/** `error` is null when there is nothing to tell (the connection dropped, and the banner says so). */
export function pageFailed(
  directory: RoomDirectory,
  id: number,
  error: ErrorBody | null,
): RoomDirectory {
  if (directory.pending?.id !== id) return directory;
  return { ...directory, pending: null, heard: [], error };
}

/**
 * A room's new count or topic. A room not shown is added only when it matches the search and
 * falls where the pages shown reach (a room created since they were read); any other belongs
 * to a page not asked for yet, which will bring it. Answers the same object when nothing shows.
 */
export function roomUpdated(directory: RoomDirectory, room: RoomSummary): RoomDirectory {
  let next = directory;
  if (directory.pending) {
    next = {
      ...next,
      heard: [...directory.heard.filter((heard) => heard.name !== room.name), room],
    };
  }
  const { shown } = directory;
  if (!shown) return next;
  const index = shown.rooms.findIndex((entry) => entry.name === room.name);
  if (index >= 0) {
    const current = shown.rooms[index];
    if (current && sameSummary(current, room)) return next;
    const rooms = shown.rooms.map((entry) => (entry === current ? room : entry));
    return { ...next, shown: { ...shown, rooms } };
  }
  if (!withinReach(shown, room.name)) return next;
  return { ...next, shown: { ...shown, rooms: byName([...shown.rooms, room]) } };
}

/** Whether the pages shown would hold `name` if it were listed: it matches, and is not beyond them. */
function withinReach(shown: ShownRooms, name: string): boolean {
  return name.startsWith(shown.prefix) && (shown.nextCursor === null || name < shown.nextCursor);
}

/**
 * Whether the directory shows that `name` is not listed for this user: its pages reach where it
 * would be, and it is not there. A private room is listed only to its members, so one missing
 * from a page that reaches it was not theirs.
 */
export function knownUnlisted(directory: RoomDirectory, name: string): boolean {
  const { shown } = directory;
  return (
    shown !== null && withinReach(shown, name) && !shown.rooms.some((room) => room.name === name)
  );
}

/**
 * A room no longer listed for this user (they were removed from a private room): dropped from
 * what is shown. Answers the same object when it was not shown.
 */
export function roomGone(directory: RoomDirectory, name: string): RoomDirectory {
  const { shown } = directory;
  if (!shown?.rooms.some((room) => room.name === name)) return directory;
  return {
    ...directory,
    shown: { ...shown, rooms: shown.rooms.filter((room) => room.name !== name) },
    heard: directory.heard.filter((room) => room.name !== name),
  };
}

/**
 * Sorted as the server pages them: by code unit, not `localeCompare` (which puts "-" and "_"
 * elsewhere and would disagree with the cursor). The later entry for a name wins.
 */
function byName(rooms: RoomSummary[]): RoomSummary[] {
  const unique = new Map(rooms.map((room) => [room.name, room]));
  return [...unique.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sameSummary(a: RoomSummary, b: RoomSummary): boolean {
  return (
    a.topic === b.topic &&
    a.memberCount === b.memberCount &&
    a.visibility === b.visibility &&
    a.readOnly === b.readOnly
  );
}
