import { type ErrorCode, type ErrorDetail, HTTP_STATUS_OF } from '@parley/protocol';

/**
 * The one error the server throws on purpose: its code, message and detail (a retry delay, or
 * why it was refused) reach the client as-is, in a socket's ack or an HTTP body. Over HTTP its
 * status is the code's (the protocol's HTTP_STATUS_OF) unless one is given (405, 415, …).
 */
export class ParleyError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: ErrorDetail = {},
    status?: number,
  ) {
    super(message);
    this.name = 'ParleyError';
    this.status = status ?? HTTP_STATUS_OF[code];
  }

  get retryAfterMs(): number | undefined {
    return this.detail.retryAfterMs;
  }
}
