import { type ErrorBody, ErrorCode } from '@parley/protocol';

/** "Ana is typing…", "Ana and Bo are typing…", "Ana, Bo and 2 others are typing…". */
export function typingLine(names: readonly string[]): string {
  const [first, second, third] = names;
  if (!first) return '';
  if (!second) return `${first} is typing…`;
  if (!third) return `${first} and ${second} are typing…`;
  if (names.length === 3) return `${first}, ${second} and ${third} are typing…`;
  return `${first}, ${second} and ${names.length - 2} others are typing…`;
}

/** A server error, in words a person understands. */
export function describeError(error: ErrorBody): string {
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
      return `Not allowed: ${error.message}.`;
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

const untilFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Why this user is no longer in a room, as `room:removed` says. */
export function removalLine(
  room: string,
  reason: 'removed' | 'banned',
  until?: string,
  format: (date: Date) => string = (date) => untilFormat.format(date),
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
