import type { ConnectionState } from '@parley/client';
import { type ErrorBody, ErrorCode, type Role, roleRank } from '@parley/protocol';

/** "Ana is typing…", "Ana and Bo are typing…", "Ana, Bo and 2 others are typing…". */
export function typingLine(names: readonly string[]): string {
  const [first, second, third] = names;
  if (!first) return '';
  if (!second) return `${first} is typing…`;
  if (!third) return `${first} and ${second} are typing…`;
  if (names.length === 3) return `${first}, ${second} and ${third} are typing…`;
  return `${first}, ${second} and ${names.length - 2} others are typing…`;
}

/**
 * A server error, in words a person understands. `room` is the room it was about, when there
 * was one: refusals name it.
 */
export function describeError(error: ErrorBody, room?: string): string {
  switch (error.code) {
    case ErrorCode.RateLimited: {
      const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
      return `You're sending too fast. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
    }
    case ErrorCode.Unavailable:
      return "The server can't store messages right now. Try again in a moment.";
    case ErrorCode.InvalidPayload:
      return `The server refused this: ${error.message}.`;
    case ErrorCode.PayloadTooLarge:
      return 'That is too large to send.';
    case ErrorCode.Unauthorized:
      return 'Your session has expired. Pick your name again to continue.';
    case ErrorCode.Forbidden:
      return refusalLine(error, room);
    case ErrorCode.NotFound:
      return 'That room does not exist.';
    case ErrorCode.NotJoined:
      return 'You are not in this room any more. Rejoining…';
    case ErrorCode.Conflict:
      return 'A room with that name exists already.';
    case ErrorCode.Internal:
      return 'Something went wrong on the server. Try again.';
  }
}

/**
 * Why the connection is off, when the server said why and waiting will not bring it back: the
 * session (refused again after a renewal) or the workspace. Undefined otherwise (offline, or a
 * server that cannot be reached: the connection comes back by itself).
 */
export function connectionLine(
  connection: Pick<ConnectionState, 'refused' | 'error'>,
): string | undefined {
  if (connection.refused === ErrorCode.Unauthorized) {
    return 'Your session has expired. Pick your name again.';
  }
  if (connection.refused === ErrorCode.Forbidden) return "You don't have access to this workspace.";
  if (connection.error?.code === ErrorCode.NotFound) return 'This workspace does not exist.';
  return undefined;
}

const untilFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const formatUntil = (date: Date) => untilFormat.format(date);

/**
 * Why the server said `forbidden`, worded from its `reason` (the server's sentence is English
 * written for developers, and says "this room" where the reader wants its name). Without a
 * reason (an older server) its sentence is all there is.
 */
export function refusalLine(
  error: Pick<ErrorBody, 'message' | 'reason' | 'until'>,
  room?: string,
  format: (date: Date) => string = formatUntil,
): string {
  const where = room ? `#${room}` : 'this room';
  switch (error.reason) {
    case 'private_room':
      return `${room ? `#${room}` : 'This room'} is private. Ask one of its moderators to add you.`;
    case 'banned':
      return error.until
        ? `You are banned from ${where} until ${format(new Date(error.until))}.`
        : `You are banned from ${where}.`;
    case 'read_only':
      return room
        ? postingRule(room, false)
        : 'This room is read-only: only its moderators and owners can post here.';
    case 'role':
      return `Your role in ${where} doesn't allow that.`;
    case 'not_author':
      return 'Only its author can edit a message.';
    case 'token_rooms':
      return `Your sign-in doesn't give you access to ${where}.`;
    case 'admins_only':
      return 'Only workspace admins can create rooms here. Join one that exists.';
    case 'limit':
      // The same reason covers rooms per connection and rooms per workspace.
      return 'A limit on rooms was reached. Leave a room you are in, or join one that exists.';
    case undefined:
      return `Not allowed: ${error.message}.`;
  }
}

/** Why this user is no longer in a room, as `room:removed` says. */
export function removalLine(
  room: string,
  reason: 'removed' | 'banned',
  until?: string,
  format: (date: Date) => string = formatUntil,
): string {
  if (reason === 'removed') return `You were removed from #${room}.`;
  const end = until ? ` until ${format(new Date(until))}` : '';
  return `You were banned from #${room}${end}.`;
}

/** Who may post in a read-only room, said where the composer would be. */
export function postingRule(room: string, mayPost: boolean): string {
  return mayPost
    ? `#${room} is read-only: only its moderators and owners post. You can.`
    : `#${room} is read-only: only its moderators and owners can post here.`;
}

/** A role, as people read it. */
export function roleName(role: 'owner' | 'moderator' | 'member' | null): string {
  return role ?? 'visitor';
}

/** "a member", "a moderator", "an owner". */
function withArticle(role: Role): string {
  return role === 'owner' ? 'an owner' : `a ${role}`;
}

/**
 * What `room:role` means to this user, or null when it changes nothing they had. `previous` is
 * their role before it: null for none (so they were just added), undefined when this tab did
 * not know it (the room is not open here).
 */
export function roleChangeLine(
  room: string,
  previous: Role | null | undefined,
  role: Role,
): string | null {
  if (previous === role) return null;
  if (previous === null) {
    return role === 'member'
      ? `You were added to #${room}.`
      : `You were added to #${room} as ${withArticle(role)}.`;
  }
  if (previous !== undefined && roleRank(role) < roleRank(previous)) {
    return `You are now ${withArticle(role)} of #${room}, no longer ${withArticle(previous)}.`;
  }
  return `You are now ${withArticle(role)} of #${room}.`;
}
