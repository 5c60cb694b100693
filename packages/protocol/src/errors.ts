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
  unavailable: 'A backing store cannot be reached; nothing was stored. Retry later.',
  internal: 'An unexpected server error; it was logged. Retry later.',
};

export const ErrorBody = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    retryAfterMs: z.int().nonnegative().optional(),
  })
  .meta({ id: 'ErrorBody', description: 'Why a request failed.' });
export type ErrorBody = z.infer<typeof ErrorBody>;
