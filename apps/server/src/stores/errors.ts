/**
 * A store call could not reach its backing service (Redis down, a timeout, a reconnect in
 * progress). Nothing was stored, or the store cannot tell: the client is told `unavailable` and
 * retries, which idempotency (author + `clientMsgId`) makes safe.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
