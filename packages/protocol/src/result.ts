import { z } from 'zod';
import { ErrorBody, type ErrorCode } from './errors';

/** Every acknowledgement: `{ ok: true, ...data }` or `{ ok: false, error }`. */
export type Ok<T> = { ok: true } & T;
export type Failure = { ok: false; error: ErrorBody };
export type Result<T> = Ok<T> | Failure;

export function ok<T extends object>(data: T): Ok<T> {
  return { ok: true, ...data };
}

export function fail(code: ErrorCode, message: string, retryAfterMs?: number): Failure {
  return {
    ok: false,
    error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs },
  };
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
