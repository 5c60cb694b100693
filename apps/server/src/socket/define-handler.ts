import {
  type AckDataOf,
  type AckOf,
  ClientEvent,
  type ClientEventName,
  CloseReason,
  clientEvents,
  describeIssues,
  ErrorCode,
  fail,
  ok,
  type PayloadOf,
} from '@parley/protocol';
import type { z } from 'zod';
import { ParleyError } from '../errors';
import type { RateLimitKind } from '../metrics';
import { closeConnection } from './close';
import { listenToEveryEvent } from './engine-internals';
import { type ChatSession, sessionOf } from './session';
import type { ParleySocket } from './types';

export interface Handler<E extends ClientEventName = ClientEventName> {
  event: E;
  run(session: ChatSession, payload: PayloadOf<E>): Promise<AckDataOf<E>>;
}

/** Declares the domain code of one client event; validation and answering are `register`'s. */
export function defineHandler<E extends ClientEventName>(
  event: E,
  run: (session: ChatSession, payload: PayloadOf<E>) => Promise<AckDataOf<E>>,
): Handler<E> {
  return { event, run };
}

type Ack = (result: AckOf<ClientEventName>) => void;

/** Which limit a handler's `rate_limited` answer comes from, for the metrics. */
const RATE_LIMIT_OF: Partial<Record<ClientEventName, RateLimitKind>> = {
  [ClientEvent.MessageSend]: 'messages',
  [ClientEvent.TypingSet]: 'typing',
  [ClientEvent.RoomCreate]: 'room_creates',
  [ClientEvent.RoomJoin]: 'room_creates',
};

/** Handlers by event name, built once and shared by every connection. */
export type HandlerTable = ReadonlyMap<string, Handler>;

export function handlerTable(handlers: readonly Handler[]): HandlerTable {
  return new Map(handlers.map((handler) => [handler.event, handler]));
}

/**
 * Wires handlers to a socket. For every event: take the acknowledgement (the last argument,
 * when it is a function), refuse floods, validate the single payload with the protocol's schema,
 * run the handler, and answer a `Result`. Nothing a client sends can throw past this point.
 *
 * One catch-all listener for every connection, not one per event, nor one closure per socket:
 * with tens of thousands of idle sockets, what each holds is memory for nothing (a listener
 * table ≈ 1 KiB, a closure and its context ≈ 100 bytes; measured). The socket is `this`, and
 * the session and handler table are found from it.
 */
export function registerHandlers(session: ChatSession, table: HandlerTable): void {
  tables.set(session.services, table);
  listenToEveryEvent(session.socket, onEvent);
}

/** Each server's handler table (one per `Services`), for the shared listener. */
const tables = new WeakMap<object, HandlerTable>();

function onEvent(this: ParleySocket, event: unknown, ...args: unknown[]): void {
  // Socket.IO calls catch-all listeners at once, even for packets decoded together with the
  // one that closed the connection (per-event listeners skip those): an event of a socket
  // already gone must not run, or a join would leave presence nobody will clear.
  if (!this.connected) return;
  const session = sessionOf(this);
  if (!session) return;
  const table = tables.get(session.services) as HandlerTable;
  const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
  const handler = typeof event === 'string' ? table.get(event) : undefined;
  session.services.track(answer(session, handler, event, args, ack));
}

/**
 * The answer to an event the handshake carried (its `join`), as if the client had sent it once
 * connected: the same flood guard, handler and metrics. The payload is the one the handshake's
 * schema (whose entries are this event's payload schema) already parsed: not parsed again.
 */
export function answerFromHandshake<E extends ClientEventName>(
  session: ChatSession,
  event: E,
  payload: PayloadOf<E>,
): Promise<AckOf<E>> {
  const handler = tables.get(session.services)?.get(event);
  return new Promise((resolve) => {
    session.services.track(answer(session, handler, event, [payload], resolve as Ack, true));
  });
}

/**
 * Runs one event through the flood guard, validation and its handler, counted in the metrics,
 * and hands the result to `reply` (the acknowledgement, when the client asked for one).
 */
function answer(
  session: ChatSession,
  handler: Handler | undefined,
  event: unknown,
  args: unknown[],
  reply: Ack | undefined,
  parsed = false,
): Promise<void> {
  const started = performance.now();
  // Counted under the protocol's name, or `other`: never under a name a client made up.
  const { metrics } = session.services;
  metrics.eventReceived(handler?.event);
  const answered = handler
    ? dispatch(session, handler, args, parsed)
    : refuseUnknown(session, event);
  return answered.then((result) => {
    const code = result.ok ? 'ok' : result.error.code;
    metrics.answered(handler?.event, code, (performance.now() - started) / 1000);
    reply?.(result);
  });
}

/**
 * What every event passes before anything else: the token must still be valid, and the
 * connection within its flood guard. Answers the refusal, or undefined to go on.
 */
function admit(session: ChatSession): AckOf<ClientEventName> | undefined {
  if (session.expired) {
    closeConnection(
      session.socket,
      CloseReason.TokenExpired,
      'token expired; reconnect with a new one',
    );
    return fail(ErrorCode.Unauthorized, 'token expired');
  }
  const waitMs = session.budget.takeEvent();
  if (waitMs === 0) return undefined;
  session.services.metrics.rateLimited('events');
  if (session.budget.flooding) {
    closeConnection(
      session.socket,
      CloseReason.Flooding,
      'too many events after rate_limited answers',
    );
  }
  return fail(ErrorCode.RateLimited, 'too many events', { retryAfterMs: waitMs });
}

/** An event no handler serves: an error for whoever waits for an answer (after the flood guard). */
async function refuseUnknown(
  session: ChatSession,
  event: unknown,
): Promise<AckOf<ClientEventName>> {
  const refused = admit(session);
  if (refused) return refused;
  // Socket.IO accepts numbers as event names too: the name is only ever shown, never trusted.
  const name = String(event).slice(0, 64);
  return fail(ErrorCode.NotFound, `unknown event "${name}"`);
}

/** The payload as the event's schema parses it; a bad one throws `invalid_payload`. */
function payloadOf(event: ClientEventName, payload: unknown): PayloadOf<ClientEventName> {
  const schema: z.ZodType = clientEvents[event].payload;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ParleyError(
      ErrorCode.InvalidPayload,
      describeIssues(parsed.error, 'payload').join('; '),
    );
  }
  return parsed.data as PayloadOf<ClientEventName>;
}

/** `parsed`: the one payload was parsed with this event's schema already (the handshake's). */
async function dispatch(
  session: ChatSession,
  handler: Handler,
  args: unknown[],
  parsed: boolean,
): Promise<AckOf<ClientEventName>> {
  const { event } = handler;
  try {
    const refused = admit(session);
    if (refused) return refused;
    if (args.length !== 1) {
      throw new ParleyError(
        ErrorCode.InvalidPayload,
        `${event} takes exactly one payload object (got ${args.length} arguments)`,
      );
    }
    const payload = parsed ? (args[0] as PayloadOf<ClientEventName>) : payloadOf(event, args[0]);
    return ok(await handler.run(session, payload));
  } catch (error) {
    if (error instanceof ParleyError) {
      if (error.code === ErrorCode.RateLimited) {
        session.services.metrics.rateLimited(RATE_LIMIT_OF[event] ?? 'other');
      }
      return fail(error.code, error.message, error.detail);
    }
    if (session.services.outage.failed(event, error)) {
      return fail(
        ErrorCode.Unavailable,
        'storage did not answer; the outcome is unknown: retry (a resent message is stored once)',
      );
    }
    session.log.error({ err: error, event }, 'handler failed');
    return fail(ErrorCode.Internal, 'unexpected server error; it was logged');
  }
}
