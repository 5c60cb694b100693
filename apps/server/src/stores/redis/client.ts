import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { RedisConfig } from '../../config';
import type { Logger } from '../../logger';
import { amendMessageScript, appendMessageScript } from './history-scripts';
import { markOccupiedScript } from './occupancy';
import { addConnectionScript, removeConnectionScript } from './presence';
import { takeTokenScript } from './rate-limiter';
import { indexAllRoomsScript, repairRoomScript } from './repair';
import { createRoomScript, indexRoomsScript } from './rooms';
import { claimWebhooksScript, enqueueWebhooksScript, retryWebhookScript } from './webhook-queue';

const scripts = {
  appendMessage: appendMessageScript,
  amendMessage: amendMessageScript,
  takeToken: takeTokenScript,
  addConnection: addConnectionScript,
  removeConnection: removeConnectionScript,
  markOccupied: markOccupiedScript,
  createRoom: createRoomScript,
  indexRooms: indexRoomsScript,
  repairRoom: repairRoomScript,
  indexAllRooms: indexAllRoomsScript,
  enqueueWebhooks: enqueueWebhooksScript,
  claimWebhooks: claimWebhooksScript,
  retryWebhook: retryWebhookScript,
};

/** Retry soon and often: cross-node delivery must resume within seconds of Redis returning. */
function reconnectDelayMs(retries: number): number {
  return Math.min(50 * 2 ** retries, 1000);
}

function createCommandClient(config: RedisConfig) {
  return createClient({
    url: config.url,
    scripts,
    // While disconnected, commands fail at once instead of waiting in a queue: a send answers
    // `unavailable` rather than hanging, and nothing is stored late behind the client's back.
    disableOfflineQueue: true,
    commandOptions: { timeout: config.commandTimeoutMs },
    socket: { reconnectStrategy: reconnectDelayMs, connectTimeout: config.commandTimeoutMs },
  });
}

function createSubscriberClient(config: RedisConfig) {
  // Subscriptions are remembered by the client and sent again after every reconnect.
  return createClient({
    url: config.url,
    socket: { reconnectStrategy: reconnectDelayMs, connectTimeout: config.commandTimeoutMs },
  });
}

export type RedisClient = ReturnType<typeof createCommandClient>;
export type SubscriberClient = ReturnType<typeof createSubscriberClient>;

/** The same client, except that the named methods log a rejection and resolve instead. */
function catchingRejections<C extends object>(
  client: C,
  methods: (keyof C & string)[],
  onError: (error: unknown) => void,
): C {
  const view = Object.create(client) as C;
  for (const method of methods) {
    const original = client[method];
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

/** The connections of one node: commands (also used to publish) and subscriptions. */
export interface RedisConnections {
  commands: RedisClient;
  /** The command client for the Socket.IO adapter to publish with: failures are logged. */
  publisher: RedisClient;
  subscriber: SubscriberClient;
  /** The subscriber for the Socket.IO adapter: failures are logged, never unhandled. */
  adapterSubscriber: SubscriberClient;
  /** Resolves once both clients are connected (they retry until Redis answers). */
  open(): Promise<void>;
  /** Both connected, and Redis answers a PING in time. */
  ready(): Promise<boolean>;
  /** How long both clients have been connected without a break; 0 while either is down. */
  connectedForMs(): number;
  /** Calls `listener` every time the command client becomes ready: at first and after a break. */
  onReady(listener: () => void): void;
  close(): Promise<void>;
}

export function createRedisConnections(config: RedisConfig, log: Logger): RedisConnections {
  const commands = createCommandClient(config);
  const subscriber = createSubscriberClient(config);
  const readyListeners: (() => void)[] = [];
  let connectedSince: number | undefined;

  const watch = (client: RedisClient | SubscriberClient, role: string) => {
    let down = false;
    // Without an 'error' listener a lost connection would crash the process.
    client.on('error', (error: Error) => {
      if (!down) log.warn({ err: error, role }, 'redis connection lost; reconnecting');
      down = true;
      connectedSince = undefined;
    });
    client.on('ready', () => {
      if (down) log.info({ role }, 'redis connection restored');
      down = false;
      if (commands.isReady && subscriber.isReady) connectedSince = Date.now();
      if (role === 'commands') for (const listener of readyListeners) listener();
    });
  };
  watch(commands, 'commands');
  watch(subscriber, 'subscriber');

  // The Socket.IO adapter calls these without handling a rejection: a publish, subscribe or
  // unsubscribe that fails (Redis away, a client closed during shutdown) would otherwise crash
  // the process as an unhandled rejection. Logged at debug: the outage itself is logged once
  // above, and each broadcast would flood. A broadcast lost while Redis is away is what the
  // per-room `seq` lets clients detect.
  const publisher = catchingRejections(commands, ['publish', 'sPublish'], (error) =>
    log.debug({ err: error }, 'redis publish failed; the broadcast reached this node only'),
  );
  const adapterSubscriber = catchingRejections(
    subscriber,
    ['subscribe', 'pSubscribe', 'sSubscribe', 'unsubscribe', 'pUnsubscribe', 'sUnsubscribe'],
    (error) => log.debug({ err: error }, 'redis (un)subscribe failed'),
  );

  return {
    commands,
    publisher,
    subscriber,
    adapterSubscriber,
    async open() {
      await Promise.all([commands.connect(), subscriber.connect()]);
    },
    async ready() {
      if (!commands.isReady || !subscriber.isReady) return false;
      try {
        return (await commands.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    connectedForMs() {
      return connectedSince === undefined ? 0 : Date.now() - connectedSince;
    },
    onReady(listener) {
      readyListeners.push(listener);
    },
    async close() {
      // The subscriber has nothing worth waiting for; commands get one timeout to finish.
      if (subscriber.isOpen) subscriber.destroy();
      if (commands.isOpen) {
        await Promise.race([commands.close(), sleep(config.commandTimeoutMs)]);
        if (commands.isOpen) commands.destroy();
      }
    },
  };
}
