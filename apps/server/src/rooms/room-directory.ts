import { LIMITS, type RoomSummary } from '@parley/protocol';
import type { RoomPage, RoomRecord, Stores } from '../stores/types';

export interface RoomDirectoryQuery {
  cursor?: string;
  prefix?: string;
  limit?: number;
}

/**
 * Who is looking: the server API (every room), or a user — who sees the public rooms, the
 * private rooms they are a stored member of, and, as an admin, every private room.
 */
export type Viewer = { everything: true } | { everything?: false; userId: string; admin: boolean };

/**
 * One page of a workspace's rooms by name, with their online counts: for lobbies and the API
 * alike. It costs the page, not the workspace: public and private rooms are each kept sorted by
 * name (and a user's rooms too), two pages are read and merged, and counts are read for the
 * page's rooms only. A private room appears only to those who may see it.
 */
export async function roomDirectory(
  stores: Stores,
  workspace: string,
  { cursor, prefix, limit = LIMITS.roomListPageDefault }: RoomDirectoryQuery,
  viewer: Viewer,
): Promise<{ rooms: RoomSummary[]; nextCursor: string | null }> {
  const query = { after: cursor, prefix, limit };
  const [open, closed] = await Promise.all([
    stores.rooms.page(workspace, { ...query, visibility: 'public' }),
    privateRooms(stores, workspace, query, viewer),
  ]);
  const { rooms, next } = merge([open, closed], limit);
  const counts = await stores.presence.counts(
    workspace,
    rooms.map((room) => room.name),
  );
  return {
    rooms: rooms.map((record) => ({ ...record, memberCount: counts.get(record.name) ?? 0 })),
    nextCursor: next,
  };
}

async function privateRooms(
  stores: Stores,
  workspace: string,
  query: { after?: string; prefix?: string; limit: number },
  viewer: Viewer,
): Promise<RoomPage> {
  if (viewer.everything || viewer.admin) {
    return stores.rooms.page(workspace, { ...query, visibility: 'private' });
  }
  const { names, next } = await stores.members.roomsOf(workspace, viewer.userId, query);
  const records = await stores.rooms.getMany(workspace, names);
  // Their public rooms come with every public room: keep the private ones.
  return { rooms: records.filter((room) => room.visibility === 'private'), next };
}

/**
 * Merges pages of sorted sources into one. A source with more to come bounds what can be
 * trusted to be in order: nothing of its beyond its last name was read.
 */
function merge(pages: RoomPage[], limit: number): { rooms: RoomRecord[]; next: string | null } {
  let bound: string | undefined;
  for (const page of pages) {
    if (page.next !== null && (bound === undefined || page.next < bound)) bound = page.next;
  }
  const byName = new Map<string, RoomRecord>();
  for (const page of pages) {
    for (const room of page.rooms) {
      if (bound === undefined || room.name <= bound) byName.set(room.name, room);
    }
  }
  const sorted = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const rooms = sorted.slice(0, limit);
  const more = sorted.length > limit || bound !== undefined;
  return { rooms, next: more ? (rooms.at(-1)?.name ?? null) : null };
}
