import type { ErrorCode, ErrorDetail } from '@parley/protocol';

/**
 * The one error a handler throws on purpose; its code, message and detail (a retry delay, or
 * why it was refused) go to the client as-is, over a socket or (as an HttpError's) over HTTP.
 */
export class ParleyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: ErrorDetail = {},
  ) {
    super(message);
    this.name = 'ParleyError';
  }

  get retryAfterMs(): number | undefined {
    return this.detail.retryAfterMs;
  }
}
