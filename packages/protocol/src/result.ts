import { z } from 'zod';
import { ErrorBody, type ErrorCode } from './errors';

/** Every acknowledgement: `{ ok: true, ...data }` or `{ ok: false, error }`. */
export type Ok<T> = { ok: true } & T;
export type Failure = { ok: false; error: ErrorBody };
export type Result<T> = Ok<T> | Failure;

export function ok<T extends object>(data: T): Ok<T> {
  return { ok: true, ...data };
}

/** Optional parts of an error: a retry delay, or why it was refused (and until when). */
export type ErrorDetail = Pick<ErrorBody, 'retryAfterMs' | 'reason' | 'until'>;

export function fail(code: ErrorCode, message: string, detail: ErrorDetail = {}): Failure {
  return { ok: false, error: errorBody(code, message, detail) };
}

/** An error body with only the parts that are set, for sockets and HTTP alike. */
export function errorBody(code: ErrorCode, message: string, detail: ErrorDetail = {}): ErrorBody {
  const body: ErrorBody = { code, message };
  if (detail.retryAfterMs !== undefined) body.retryAfterMs = detail.retryAfterMs;
  if (detail.reason !== undefined) body.reason = detail.reason;
  if (detail.until !== undefined) body.until = detail.until;
  return body;
}

export function isOk<T>(result: Result<T>): result is Ok<T> {
  return result.ok;
}

/** The schema of a `Result` whose success carries `data`'s fields. */
export function resultSchema<Shape extends z.ZodRawShape>(data: z.ZodObject<Shape>) {
  return z.discriminatedUnion('ok', [
    data.extend({ ok: z.literal(true) }),
    z.object({ ok: z.literal(false), error: ErrorBody }),
  ]);
}
