import type { ServerEvent, ServerPayloadOf } from '@parley/protocol';
import { presenceModeOf } from '../presence/mode';
import type { RoomRecord, RoomRef, Stores } from '../stores/types';

/** A room's figures as `room:updated` tells them: its online count, presence mode and settings. */
export type RoomFigures = ServerPayloadOf<typeof ServerEvent.RoomUpdated>;

export function figuresOf(
  room: string,
  record: RoomRecord,
  memberCount: number,
  membersMax: number,
): RoomFigures {
  return {
    room,
    topic: record.topic,
    memberCount,
    visibility: record.visibility,
    readOnly: record.readOnly,
    presence: presenceModeOf(memberCount, membersMax),
  };
}

/** The room's figures read now; undefined for a room that is not there. Rejects if a read fails. */
export async function readFigures(
  stores: Pick<Stores, 'rooms' | 'presence'>,
  ref: RoomRef,
  membersMax: number,
): Promise<RoomFigures | undefined> {
  const [record, memberCount] = await Promise.all([
    stores.rooms.get(ref),
    stores.presence.count(ref),
  ]);
  return record && figuresOf(ref.room, record, memberCount, membersMax);
}
