import type { RoomRef } from '../types';

/** Workspace and room joined by a character neither may contain. */
export function refKey({ workspace, room }: RoomRef): string {
  return `${workspace}/${room}`;
}
