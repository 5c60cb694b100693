import type { RoomRef } from '../types';

/**
 * What the append script publishes for every stored message, one line per field and then the
 * stored message JSON as is:
 *
 *     workspace \n room \n origin \n seq \n {"id":…}
 *
 * The room comes first, in plain text, so a node with no sockets in it skips the announcement
 * after two `indexOf`s, without parsing any JSON; the message is decoded once, by nodes that
 * deliver it. Workspace and room names, connection ids and seqs never contain a newline.
 *
 * This is the part the node storing the message knows; the script appends `seq \n json`.
 */
export function announcementHeader(ref: RoomRef, origin: string): string {
  return `${ref.workspace}\n${ref.room}\n${origin}\n`;
}

/** The room an announcement is about, and where the rest of it starts. */
export function announcedRoom(payload: string): { ref: RoomRef; rest: number } {
  const afterWorkspace = payload.indexOf('\n');
  const afterRoom = payload.indexOf('\n', afterWorkspace + 1);
  return {
    ref: {
      workspace: payload.slice(0, afterWorkspace),
      room: payload.slice(afterWorkspace + 1, afterRoom),
    },
    rest: afterRoom + 1,
  };
}

/** The rest, read once the node knows it delivers the room. */
export function announcedMessage(
  payload: string,
  rest: number,
): {
  /** The connection that sent it ('' for the server API). */
  origin: string;
  seq: number;
  /** The stored message JSON (without its seq). */
  json: string;
} {
  const afterOrigin = payload.indexOf('\n', rest);
  const afterSeq = payload.indexOf('\n', afterOrigin + 1);
  return {
    origin: payload.slice(rest, afterOrigin),
    seq: Number(payload.slice(afterOrigin + 1, afterSeq)),
    json: payload.slice(afterSeq + 1),
  };
}
