import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '@parley/protocol';
import { ParleyError } from '../errors';

/** The request body stopped arriving (the client aborted): nothing to answer, nothing to log. */
export class RequestAborted extends Error {
  constructor(cause: unknown) {
    super('the request was aborted by the client', { cause });
    this.name = 'RequestAborted';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    // A JSON answer is never to be read as a page or a script, whatever a browser guesses.
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Any ParleyError as HTTP: the same body a socket's ack carries, and `Retry-After`. */
export function sendError(res: ServerResponse, error: ParleyError): void {
  const { code, message, detail, status } = error;
  if (detail.retryAfterMs !== undefined) {
    res.setHeader('retry-after', Math.ceil(detail.retryAfterMs / 1000));
  }
  sendJson(res, status, { error: errorBody(code, message, detail) });
}

/** Reads a JSON body of at most `maxBytes`; larger bodies are refused before being buffered. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new ParleyError(
      'invalid_payload',
      'send a JSON body with content-type: application/json',
      {},
      415,
    );
  }
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    throw new ParleyError('payload_too_large', `body must be at most ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const body = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await body.next();
    } catch (error) {
      throw new RequestAborted(error);
    }
    if (next.done) break;
    size += next.value.length;
    if (size > maxBytes) {
      await body.return?.();
      throw new ParleyError('payload_too_large', `body must be at most ${maxBytes} bytes`);
    }
    chunks.push(next.value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ParleyError('invalid_payload', 'body is not valid JSON');
  }
}
