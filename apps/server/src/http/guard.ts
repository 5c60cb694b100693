import type { IncomingMessage, ServerResponse } from 'node:http';
import { ParleyError } from '../errors';
import type { Logger } from '../logger';
import { throttledLog } from '../throttled-log';
import { sendError } from './respond';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The last resort around every HTTP request Parley serves: whatever escapes the handler's own
 * error handling (a bug, a header written twice) is logged — at most one line per interval, with
 * a count, so a request that triggers it cannot flood the logs — and answered 500 if nothing was
 * sent yet. Without it, a rejection of the async listener would be unhandled and Node would exit.
 * `onUnexpected` lets tests fail on what this hides in production.
 */
export function guardRequests(
  listener: RequestListener,
  { log, onUnexpected }: { log: Logger; onUnexpected?: (error: unknown) => void },
): (req: IncomingMessage, res: ServerResponse) => void {
  const report = throttledLog(log, 'error', 'unexpected error on a request path; still serving');
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    onUnexpected?.(error);
    report({ err: error, method: req.method });
    try {
      if (!res.headersSent) {
        sendError(res, new ParleyError('internal', 'unexpected server error; it was logged'));
      } else res.destroy();
    } catch {
      res.destroy();
    }
  };
  return (req, res) => {
    try {
      listener(req, res).catch((error: unknown) => fail(req, res, error));
    } catch (error) {
      fail(req, res, error);
    }
  };
}
