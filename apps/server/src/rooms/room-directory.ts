import { LIMITS, type RoomSummary } from '@parley/protocol';
import type { RoomPage, RoomPageQuery, RoomRecord, Stores } from '../stores/types';

export interface RoomDirectoryQuery {
  cursor?: string;
  prefix?: string;
  limit?: number;
}

/**
 * Who is looking: the server API (every room), or a user — who sees the public rooms, the
 * private rooms they are a stored member of, and, as an admin, every private room; a token's
 * `rooms` claim confines all of it to the rooms it names (and shows the private ones it opens).
 */
export type Viewer =
  | { everything: true }
  | { everything?: false; userId: string; admin: boolean; rooms?: readonly string[] };

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
  const claim = viewer.everything || viewer.rooms?.includes('*') ? undefined : viewer.rooms;
  const pages = claim
    ? await claimedRooms(stores, workspace, query, claim)
    : await Promise.all([
        stores.rooms.page(workspace, { ...query, visibility: 'public' }),
        privateRooms(stores, workspace, query, viewer),
      ]);
  const { rooms, next } = merge(pages, limit);
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
 * The rooms a `rooms` claim names, public and private alike (a matching private room admits the
 * token): a page of each visibility per prefix pattern, narrowed to the asked prefix, and the
 * exact names read at once.
 */
async function claimedRooms(
  stores: Stores,
  workspace: string,
  query: RoomPageQuery,
  claim: readonly string[],
): Promise<RoomPage[]> {
  const wanted = (name: string) =>
    (query.after === undefined || name > query.after) && name.startsWith(query.prefix ?? '');
  const names = claim.filter((pattern) => !pattern.endsWith('*') && wanted(pattern));
  const prefixes = claim
    .filter((pattern) => pattern.endsWith('*'))
    .map((pattern) => narrower(pattern.slice(0, -1), query.prefix ?? ''))
    .filter((prefix): prefix is string => prefix !== undefined);
  const exact = stores.rooms
    .getMany(workspace, names)
    .then((rooms) => ({ rooms: rooms.sort((a, b) => (a.name < b.name ? -1 : 1)), next: null }));
  return Promise.all([
    exact,
    ...prefixes.flatMap((prefix) =>
      (['public', 'private'] as const).map((visibility) =>
        stores.rooms.page(workspace, { ...query, prefix, visibility }),
      ),
    ),
  ]);
}

/** The prefix both prefixes ask for (the longer, when one starts the other), or none. */
function narrower(a: string, b: string): string | undefined {
  if (a.startsWith(b)) return a;
  if (b.startsWith(a)) return b;
  return undefined;
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
