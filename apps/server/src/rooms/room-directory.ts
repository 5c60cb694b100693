import { LIMITS, type RoomSummary } from '@parley/protocol';
import type { Stores } from '../stores/types';

export interface RoomDirectoryQuery {
  cursor?: string;
  prefix?: string;
  limit?: number;
}

/**
 * One page of a workspace's rooms by name, with their online counts: for lobbies and the API
 * alike. It costs the page, not the workspace: the store keeps the names sorted, and counts are
 * read for the page's rooms only.
 */
export async function roomDirectory(
  stores: Stores,
  workspace: string,
  { cursor, prefix, limit = LIMITS.roomListPageDefault }: RoomDirectoryQuery = {},
): Promise<{ rooms: RoomSummary[]; nextCursor: string | null }> {
  const page = await stores.rooms.page(workspace, { after: cursor, prefix, limit });
  const counts = await stores.presence.counts(
    workspace,
    page.rooms.map((room) => room.name),
  );
  return {
    rooms: page.rooms.map((record) => ({ ...record, memberCount: counts.get(record.name) ?? 0 })),
    nextCursor: page.next,
  };
}
