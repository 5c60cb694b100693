import type { ErrorCode } from '@parley/protocol';

/** The one error a handler throws on purpose; its code and message go to the client as-is. */
export class ParleyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ParleyError';
  }
}
