import { atMostFreeTime } from '../../../free-time';
import type { Logger } from '../../../logger';

/**
 * Whether this node's Redis link is up, from the events of its clients: one warning when a
 * client loses its connection, one line when it is back, and the time since every client was up
 * (presence uses it: a node that was cut off must not judge others dead on stale heartbeats).
 */
export interface Link {
  /** A client lost its connection (repeats while it retries are not logged again). */
  lost(role: string, error: unknown): void;
  /** A client is connected and ready; `listeners` hear of it when the commands client is. */
  up(role: string): void;
  connectedForMs(): number;
  onReady(listener: () => void): void;
}

export function createLink(log: Logger, roles: string[]): Link {
  const up = new Set<string>();
  const failed = new Set<string>();
  const listeners: (() => void)[] = [];
  let connectedSince: number | undefined;
  return {
    lost(role, error) {
      if (!failed.has(role)) log.warn({ err: error, role }, 'redis connection lost; reconnecting');
      failed.add(role);
      up.delete(role);
      connectedSince = undefined;
    },
    up(role) {
      if (failed.delete(role)) log.info({ role }, 'redis connection restored');
      const wasUp = up.has(role);
      up.add(role);
      if (up.size === roles.length && connectedSince === undefined) connectedSince = Date.now();
      if (role === roles[0] && !wasUp) for (const listener of listeners) listener();
    },
    connectedForMs() {
      return connectedSince === undefined ? 0 : Date.now() - connectedSince;
    },
    onReady(listener) {
      listeners.push(listener);
    },
  };
}

/** Whether `ping` answers PONG within `ms` of the node's free time (free-time.ts), whatever Redis does. */
export async function answersPing(ping: () => Promise<unknown>, ms: number): Promise<boolean> {
  // In the node's free time: a PING sent from a busy node is not failed by the node's own turn.
  const reply = await atMostFreeTime(
    ping().catch(() => undefined),
    ms,
  );
  return reply === 'PONG';
}

/** The same client, except that the named methods log a rejection and resolve instead. */
export function catchingRejections<C extends object>(
  client: C,
  methods: string[],
  onError: (error: unknown) => void,
): C {
  const view = Object.create(client) as C;
  for (const method of methods) {
    const original = (client as Record<string, unknown>)[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(view, method, {
      value: (...args: unknown[]) =>
        (original.apply(client, args) as Promise<unknown>).catch((error: unknown) => {
          onError(error);
          return undefined;
        }),
    });
  }
  return view;
}

/**
 * The adapter's views of the clients: the Socket.IO adapter calls publish and (un)subscribe
 * without handling a rejection, and one that fails (Redis away, a client closed during shutdown)
 * would crash the process as an unhandled rejection. Logged at debug: the outage itself is logged
 * once by the link, and each broadcast would flood. A broadcast lost while Redis is away is what
 * the per-room `seq` lets clients detect.
 */
export function adapterViews<P extends object, S extends object>(
  publisher: P,
  subscriber: S,
  log: Logger,
): { publisher: P; subscriber: S } {
  return {
    publisher: catchingRejections(publisher, ['publish', 'sPublish'], (error) =>
      log.debug({ err: error }, 'redis publish failed; the broadcast reached this node only'),
    ),
    subscriber: catchingRejections(
      subscriber,
      ['subscribe', 'pSubscribe', 'sSubscribe', 'unsubscribe', 'pUnsubscribe', 'sUnsubscribe'],
      (error) => log.debug({ err: error }, 'redis (un)subscribe failed'),
    ),
  };
}

/** Waits for `close`, at most `ms`, then `destroy`s whatever did not finish. */
export async function closeWithin(
  ms: number,
  close: () => Promise<unknown>,
  destroy: () => unknown,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([close().catch(() => 'failed'), late]);
  clearTimeout(timer);
  if (outcome === 'late' || outcome === 'failed') await destroy();
}
