import { z } from 'zod';

/** Every error code an acknowledgement (or an HTTP error body) can carry. */
export const ErrorCode = {
  InvalidPayload: 'invalid_payload',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  NotJoined: 'not_joined',
  RateLimited: 'rate_limited',
  Conflict: 'conflict',
  PayloadTooLarge: 'payload_too_large',
  Unavailable: 'unavailable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** What each code means, for people: the protocol reference is generated from it. */
export const ERROR_CODE_MEANINGS: Record<ErrorCode, string> = {
  invalid_payload: 'The payload does not match the event schema; `message` names the field.',
  unauthorized: 'The token is missing, malformed, signed with another secret, or expired.',
  forbidden:
    'The token is valid but does not allow this: a workspace outside `ws`, a private room, a role too low, a ban, a limit reached.',
  not_found: 'The room, event or resource does not exist.',
  not_joined: 'The socket has not joined the room it addressed.',
  rate_limited: 'Too many requests; retry after `retryAfterMs` milliseconds.',
  conflict: 'It exists already (a room of that name).',
  payload_too_large: 'The request body is larger than allowed.',
  unavailable:
    "Something Parley depends on (its store, the join hook, the identity provider's keys) did not answer in time. The outcome is unknown: the request may have taken effect. Every request is safe to repeat — a `message:send` resent with the same `clientMsgId` answers the original if it was stored — so retry with backoff.",
  internal: 'An unexpected server error; it was logged. Retry later.',
};

/** The HTTP status of each code, on the server API and the session endpoint alike. */
export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  invalid_payload: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_joined: 409,
  payload_too_large: 413,
  rate_limited: 429,
  conflict: 409,
  internal: 500,
  unavailable: 503,
};

/** Why a `forbidden` was answered, for a client to word it (the message is for people already). */
export const Refusal = {
  PrivateRoom: 'private_room',
  Banned: 'banned',
  ReadOnly: 'read_only',
  Role: 'role',
  NotAuthor: 'not_author',
  TokenRooms: 'token_rooms',
  AdminsOnly: 'admins_only',
  Limit: 'limit',
} as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];

export const REFUSAL_MEANINGS: Record<Refusal, string> = {
  private_room: 'The room is private and nothing admits you.',
  banned: 'You are banned from the room until `until`.',
  read_only: 'The room is read-only: only its moderators and owners post.',
  role: 'Your role in the room is too low for this.',
  not_author: 'Only its author edits a message.',
  token_rooms: "Your token's `rooms` claim does not include this room.",
  admins_only: 'Only workspace admins create rooms on this server.',
  limit: 'A limit is reached (rooms per connection, rooms per workspace).',
};

export const ErrorBody = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    retryAfterMs: z.int().nonnegative().optional(),
    reason: z
      .enum(Object.values(Refusal) as [Refusal, ...Refusal[]])
      .optional()
      .meta({ description: 'With `forbidden`: why, as a code a client can word.' }),
    until: z.iso
      .datetime()
      .optional()
      .meta({ description: 'With `reason: "banned"`: when it ends.' }),
  })
  .meta({ id: 'ErrorBody', description: 'Why a request failed.' });
export type ErrorBody = z.infer<typeof ErrorBody>;
