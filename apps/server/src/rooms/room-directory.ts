import type { RoomSummary } from '@parley/protocol';
import type { Stores } from '../stores/types';

/** A workspace's rooms with their online counts, busiest first: for lobbies and the API alike. */
export async function roomDirectory(stores: Stores, workspace: string): Promise<RoomSummary[]> {
  const [rooms, counts] = await Promise.all([
    stores.rooms.list(workspace),
    stores.presence.counts(workspace),
  ]);
  return rooms
    .map((record) => ({ ...record, memberCount: counts.get(record.name) ?? 0 }))
    .sort((a, b) => b.memberCount - a.memberCount || a.name.localeCompare(b.name));
}
