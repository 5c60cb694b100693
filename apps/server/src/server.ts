import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type IncomingClientEvents,
  ServerEvent,
  type ServerToClientEvents,
  type SocketData,
  workspaceOfNamespace,
} from '@parley/protocol';
import { Server } from 'socket.io';
import { createJoinHook } from './access/join-hook';
import { createMembershipChanges } from './access/membership-changes';
import { createRoomAccess } from './access/room-access';
import { createApiRoutes } from './api/http-routes';
import { startTokenExpiry } from './auth/expiry';
import { createTokenService } from './auth/tokens';
import { attachChat } from './chat';
import { createClientAddress } from './clients/client-address';
import { createConnectionGate } from './clients/connection-gate';
import type { ParleyConfig } from './config';
import { refuseNewSessionsWhile } from './http/drain-gate';
import { answerEngineCors } from './http/engine-cors';
import { guardRequests } from './http/guard';
import { LISTEN_BACKLOG } from './http/listen-backlog';
import { createHttpHandler } from './http/router';
import { createLogger, type Logger } from './logger';
import { deliverStoredMessages } from './messages/delivery';
import { createMetrics } from './metrics';
import { createMetricsListener } from './metrics/listener';
import { createNodeReporter } from './ops/node-report';
import { type PresenceSweeper, startPresenceSweeper } from './presence/sweeper';
import { createJoinGate } from './rooms/join-gate';
import { createLobbyCounts } from './rooms/lobby-counts';
import { createRoomAnnouncer } from './rooms/room-announcer';
import { createRoomCreation } from './rooms/room-creation';
import { type RoomExpiry, startRoomExpiry } from './rooms/room-expiry';
import { readFigures } from './rooms/room-figures';
import type { Services } from './services';
import { createBroadcaster } from './socket/broadcast';
import { budgetOf, connectionBudget } from './socket/connection-budget';
import {
  cleanupOnlyWhenIdle,
  emptyHandshakeRequest,
  engineConnections,
  namespacesOf,
  onConnectionClose,
  waitingBytes,
} from './socket/engine-internals';
import { type FastPathStats, installFastPath } from './socket/fast-path';
import { jsonPacketParser } from './socket/json-packets';
import { createSlowReaders } from './socket/slow-readers';
import { type InterServerEvents, isRoomChannel, type ParleyIo } from './socket/types';
import { createMemoryStores } from './stores/memory';
import { createOutageLog } from './stores/outage-log';
import {
  createRedisAdapter,
  createRedisConnections,
  createRedisStores,
  type StoreObserver,
} from './stores/redis';
import { heartbeatTimings } from './stores/redis/presence';
import type { Stores } from './stores/types';
import { createWebhooks, type Webhooks } from './webhooks';

export interface ParleyServerOptions {
  logger?: Logger;
  /** Defaults to what the config chooses: Redis when `config.redis` is set, else in memory. */
  stores?: Stores;
  /**
   * Called with whatever the last-resort guard on request paths catches (it is logged and
   * answered 500 either way): tests make it fail, so the guard never hides a bug from them.
   */
  onUnexpectedError?: (error: unknown) => void;
}

/**
 * The one place that picks where state and broadcasts live: Redis when configured (stores and
 * the Socket.IO adapter on the same connections), otherwise this process's memory.
 */
function chooseBackend(config: ParleyConfig, log: Logger, observer: StoreObserver) {
  if (!config.redis) return { stores: createMemoryStores(config.limits), adapter: undefined };
  const connections = createRedisConnections(config.redis, log);
  const stores = createRedisStores(
    connections,
    {
      keyPrefix: config.redis.keyPrefix,
      nodeId: config.nodeId,
      presenceTtlMs: config.presence.ttlSeconds * 1000,
      // A restarted node's earlier users were cut off by its crash: those back in time never
      // left, and nobody hears a thing.
      leftoverGraceMs: config.presence.restartGraceMs,
      limits: config.limits,
      replication: config.redis.replication,
      observer,
    },
    log,
  );
  return { stores, adapter: createRedisAdapter(connections, config.redis) };
}

export interface ParleyServer {
  /**
   * Opens the stores and starts the node's timers without listening on a port: a cluster
   * worker's connections come from its primary (workers/worker.ts). `listen()` calls it.
   */
  start(): Promise<void>;
  /** Starts, then listens; resolves with the base URL, e.g. `http://127.0.0.1:3001`. */
  listen(): Promise<string>;
  /**
   * Stops taking connections, tells clients, clears their presence and closes the stores.
   * `exiting`: the process ends right after (the signal handler's stop): over shared stores the
   * connections are then left open for the exit to close (see `close`'s comment).
   */
  close(options?: { exiting?: boolean }): Promise<void>;
  readonly io: ParleyIo;
  readonly httpServer: HttpServer;
  /**
   * What this node counted since it started: webhook events queued, coalesced, dropped, lost;
   * what the fast path did (all zero while it is off).
   */
  counts(): { webhooks: ReturnType<Webhooks['counts']>; fastPath: FastPathStats };
  /** Where `/metrics` is served when METRICS_PORT gives it a listener of its own (once listening). */
  metricsUrl(): string | undefined;
}

/** How long shutdown waits for connections to write what is queued (the shutdown notice). */
const SHUTDOWN_DRAIN_MS = 1000;
/**
 * How long shutdown waits, at its end, for clients to answer the close of their connections (a
 * round trip each, for one that is reading); the process's exit closes what is left.
 */
const SHUTDOWN_CLOSE_WAIT_MS = 500;

/** How long a slow reader's connection may take to read why it is closed before it is cut. */
const SLOW_READER_GRACE_MS = 10_000;

/** How often at most a room's online count goes to its workspace. */
const ROOM_ANNOUNCE_INTERVAL_MS = 200;
/** The same for a room in `count` presence (past PRESENCE_MEMBERS_MAX): its count, once a second. */
const COUNT_ANNOUNCE_INTERVAL_MS = 1000;
/**
 * Room joins a node works on at once, how many may wait, and for how long, before a join answers
 * `rate_limited` (join-gate.ts): a reconnect storm meets Redis a few dozen joins at a time. The
 * wait stays well inside a client's 10 s acknowledgement timeout (`DEFAULT_ACK_TIMEOUT_MS`) and
 * is long enough that a storm's joins wait their turn rather than being sent away: a refused
 * client comes back seconds later, and in the storm a node that had refused joins sat idle
 * while they waited (4 s: up to 1 963 refusals and 22 % idle; 7 s: none).
 */
const JOIN_GATE = { concurrency: 64, maxWaiting: 10_000, maxWaitMs: 7000 };
/** How often at most lobbies (not in the room) hear a public room's figures. */
const LOBBY_ANNOUNCE_INTERVAL_MS = 1000;

export function createParleyServer(
  config: ParleyConfig,
  options: ParleyServerOptions = {},
): ParleyServer {
  const log = (options.logger ?? createLogger(config)).child({ node: config.nodeId });
  // Per server, not prom-client's global registry: tests run several servers in one process.
  const metrics = createMetrics({ defaults: config.metrics.enabled });
  const backend = chooseBackend(config, log, metrics);
  const stores = options.stores ?? backend.stores;
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  let sweeper: PresenceSweeper | undefined;
  let roomExpiry: RoomExpiry | undefined;

  const clientAddress = createClientAddress(config.clients);
  const gate = createConnectionGate(config, clientAddress, metrics);
  const io: ParleyIo = new Server<
    IncomingClientEvents,
    ServerToClientEvents,
    InterServerEvents,
    SocketData
  >({
    // CORS for long-polling is answered before the engine (http/engine-cors.ts), not by its
    // middleware, which would also run on every websocket upgrade.
    transports: config.transports,
    maxHttpBufferSize: config.limits.packetMaxBytes,
    allowRequest: (req, answer) => gate.allowRequest(req, answer),
    serveClient: false,
    cleanupEmptyChildNamespaces: true,
    // Parley's events are JSON: no walk of every answer for binary parts (socket/json-packets.ts).
    parser: jsonPacketParser,
    ...(backend.adapter && { adapter: backend.adapter }),
  });
  // A workspace's namespace outlives a refused handshake while others are under way.
  let cleanupUnguarded = false;
  io.on('new_namespace', (namespace) => {
    if (workspaceOfNamespace(namespace.name) === undefined || cleanupOnlyWhenIdle(namespace)) {
      return;
    }
    if (cleanupUnguarded) return;
    cleanupUnguarded = true;
    log.warn(
      { namespace: namespace.name },
      "Socket.IO's namespace internals are not what Parley was written for: a refused handshake may drop a workspace's namespace while others connect to it",
    );
  });
  // Without WEBHOOK_URLS a no-op: nothing is queued and nothing else changes.
  const webhooks = createWebhooks(config.webhooks, {
    queues: stores.webhookQueues,
    log,
    durable: config.redis !== undefined,
    track: (work) => services.track(work),
    attempted: (lane, outcome) => metrics.webhookAttempt(lane, outcome),
  });

  const access = createRoomAccess(
    stores,
    config.access.joinHook && createJoinHook(config.access.joinHook, log),
  );
  const services: Services = {
    config,
    stores,
    outage: createOutageLog(log, { counted: () => metrics.storeUnavailable() }),
    metrics,
    tokens: createTokenService(config.auth.secret, {
      maxTtlSeconds: config.auth.maxTtlSeconds,
      identityProvider: config.access.identityProvider,
    }),
    clientAddress,
    log,
    webhooks: webhooks.emitter,
    roomAnnouncer: createRoomAnnouncer(stores, {
      intervalMs: ROOM_ANNOUNCE_INTERVAL_MS,
      countIntervalMs: COUNT_ANNOUNCE_INTERVAL_MS,
      membersMax: config.presence.membersMax,
      lobbies: createLobbyCounts({
        intervalMs: LOBBY_ANNOUNCE_INTERVAL_MS,
        reread: (namespace, room) =>
          readFigures(
            stores,
            { workspace: workspaceOfNamespace(namespace.name) ?? '', room },
            config.presence.membersMax,
          ),
        track: (work) => services.track(work),
      }),
      track: (work) => services.track(work),
    }),
    roomCreation: createRoomCreation(stores, config.rooms, config.access),
    joinGate: createJoinGate(JOIN_GATE),
    access,
    membershipChanges: createMembershipChanges(io, {
      crossNode: config.redis !== undefined,
      log,
      track: (work) => services.track(work),
      forget: (ref, userId) => access.forget(ref, userId),
    }),
    nodeReport: () => reporter.report(),
    track(work) {
      inFlight.add(work);
      work.finally(() => inFlight.delete(work)).catch(() => {});
    },
  };

  const tokenExpiry = startTokenExpiry(io);
  const slowReaders = createSlowReaders({
    maxBytes: config.limits.bufferedBytesPerConnection,
    graceMs: SLOW_READER_GRACE_MS,
    log,
    closed: () => metrics.slowReaderClosed(),
  });
  attachChat(io, services);
  deliverStoredMessages(io, services);
  const broadcast = createBroadcaster(io, { crossNode: config.redis !== undefined });

  // The HTTP routes first: Socket.IO, attached next, serves its own path and hands the rest on.
  const httpServer = createServer();
  httpServer.on(
    'request',
    guardRequests(
      createHttpHandler({
        services,
        ready: async () => !closing && (await stores.ready()),
        apiRoutes: createApiRoutes({ services, broadcast }),
      }),
      { log, onUnexpected: options.onUnexpectedError },
    ),
  );
  io.attach(httpServer);
  // Draining: new sessions are answered 503, so a load balancer retries them on another node.
  refuseNewSessionsWhile(httpServer, () => closing);
  // Outermost, so a draining node's 503 can be read by the page that asked.
  answerEngineCors(httpServer, config.http.corsOrigins);
  function releaseAddress(this: object): void {
    const address = budgetOf(this)?.address;
    if (address !== undefined) gate.closed(address);
  }
  io.engine.on('connection', (connection) => {
    // Everything kept per connection lives in its budget; one shared listener settles it.
    const budget = connectionBudget(connection, config.limits);
    budget.address = gate.opened(connection.request);
    if (budget.address !== undefined) onConnectionClose(connection, releaseAddress);
    // The handshake request is not needed once a connection is up; what it holds costs memory.
    emptyHandshakeRequest(connection.request);
  });
  // Broadcast frames and write batching, behind the one seam (socket/fast-path/).
  const fastPath = installFastPath(
    io,
    { enabled: config.fastPath, mayQueue: (connection) => slowReaders.admit(connection) },
    log,
  );

  // What this node tells the cluster with every heartbeat: the operations overview reads it.
  const reporter = createNodeReporter({
    nodeId: config.nodeId,
    io,
    messagesStored: () => metrics.messagesStoredTotal(),
    deliveries: () => {
      const { directFrames, heldWrites } = fastPath.stats();
      return directFrames + heldWrites;
    },
  });
  const reportTimings = heartbeatTimings(config.presence.ttlSeconds * 1000);
  let reports: NodeJS.Timeout | undefined;
  /** The last report's write: shutdown waits for it, so none lands after the node is forgotten. */
  let reporting: Promise<void> = Promise.resolve();
  const writeReport = () => {
    reporting = stores.nodes
      .report(reporter.report({ interval: true }), reportTimings.aliveMs)
      .catch((error: unknown) => log.debug({ err: error }, 'node report failed; retrying'));
    return reporting;
  };

  metrics.watch({
    connections: () => connectionsByTransport(io),
    roomsActive: () => roomsWithSockets(io),
    occupancy: () => occupancyOf(io),
    joins: () => services.joinGate.load(),
    waitingBytes: () => waitingBytes(io),
    fastPath: () => fastPath.stats(),
    webhookEvents: () => webhooks.counts(),
    webhookBacklog: () => webhooks.backlog(),
  });

  const metricsListener = createMetricsListener(metrics, config.metrics, {
    host: config.http.host,
    log,
  });
  let metricsUrl: string | undefined;

  /** How long `start`'s steps took, logged with "parley listening": what a slow start spent. */
  let startTook: Record<string, number> = {};

  async function start(): Promise<void> {
    const { took, step } = stepTimes();
    startTook = took;
    // Opening the stores includes clearing what a crashed process with this node id left.
    await stores.open();
    step('storesMs');
    webhooks.start();
    await writeReport();
    step('reportMs');
    reports = setInterval(writeReport, reportTimings.everyMs);
    // A node dead for the presence TTL must be noticed within it: sweep six times as often.
    sweeper = startPresenceSweeper(io, services, {
      intervalMs: (config.presence.ttlSeconds * 1000) / 6,
      crossNode: config.redis !== undefined,
    });
    if (config.rooms.idleTtlSeconds > 0) {
      roomExpiry = startRoomExpiry(stores, {
        ttlMs: config.rooms.idleTtlSeconds * 1000,
        log,
        track: services.track,
      });
    }
    metricsUrl = await metricsListener.listen();
    step('metricsMs');
  }

  return {
    io,
    httpServer,
    counts: () => ({ webhooks: webhooks.counts(), fastPath: fastPath.stats() }),
    metricsUrl: () => metricsUrl,
    start,

    async listen() {
      await start();
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.http.port, config.http.host, LISTEN_BACKLOG, () => {
          httpServer.off('error', reject);
          const { address, port } = httpServer.address() as AddressInfo;
          const host = address.includes(':') ? `[${address}]` : address;
          // From the process's start: a restart's clients are refused until then.
          const sinceProcessStartMs = Math.round(process.uptime() * 1000);
          log.info(
            { port, host: address, sinceProcessStartMs, took: startTook },
            'parley listening',
          );
          resolve(`http://${host}:${port}`);
        });
      });
    },

    async close(options = {}) {
      if (closing) return;
      closing = true;
      // /readyz answers 503 from now on; the node keeps serving while load balancers notice
      // and stop sending it new connections.
      if (config.shutdownDrainMs > 0) {
        log.info({ drainMs: config.shutdownDrainMs }, 'draining: /readyz answers 503');
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      }
      log.info('shutting down');
      // How long each step took, logged with "shut down": what a slow stop spent its time on.
      const { took, step } = stepTimes();
      sweeper?.stop();
      clearInterval(reports);
      roomExpiry?.stop();
      tokenExpiry.stop();
      for (const namespace of namespacesOf(io).all()) {
        if (workspaceOfNamespace(namespace.name)) {
          namespace.emit(ServerEvent.ServerShutdown, { message: 'server is shutting down' });
        }
      }
      // Departures during shutdown reach the other nodes' lobbies before the adapter closes.
      await services.roomAnnouncer.flushAll();
      step('tellMs');
      // Closing the engine discards what a connection has not written yet: let it drain first.
      await fastPath.drained(SHUTDOWN_DRAIN_MS);
      step('drainWritesMs');
      // Disconnects every socket (running their presence cleanup) and stops listening; clients
      // see a transport close and reconnect, to another node when there is one. Each client
      // answers the close of its connection meanwhile: the steps below do not wait for that
      // (thousands of clients reconnecting at once answer slowly), only the end does, briefly.
      //
      // Unless the process ends right after, over shared stores: there the cleanup has nothing
      // to do (the store's stop hands every connection's presence over at once), and closing
      // thousands of websockets one by one — a close frame out, the client's back, each socket's
      // teardown — was the bulk of a stop (5 000 connections: ≈ 2 s of the 2.7 s to the node's
      // exit, in the reconnect storm). The exit closes them all at once instead: the kernel sends
      // what was written (the shutdown notice, drained above), then ends each connection, and
      // clients reconnect as after any transport close. Only the listener stops here.
      const leftToExit = options.exiting === true && config.redis !== undefined;
      let connectionsClosed = Promise.resolve();
      if (leftToExit) {
        // A cluster worker's server never listened (its primary hands connections over): closing
        // it anyway emits `close` at once, on which the engine closes every connection one by
        // one as "forced close" — presence removed, every user announced gone.
        if (httpServer.listening) httpServer.close();
        log.info({ connections: io.engine.clientsCount }, 'connections left to the exit');
      } else {
        connectionsClosed = new Promise<void>((resolve) => io.close(() => resolve()));
      }
      step('disconnectMs');
      // In flight: the presence removals of the connections just closed. Their users have the
      // restart's grace to come back (to any node); whoever does not is announced gone by a
      // node's sweep when it ends — this one's, if it is back by then.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await services.roomAnnouncer.flushAll();
      step('settleMs');
      await webhooks.stop();
      reporter.stop();
      // Gone from the operations overview at once, not when its report lapses.
      await reporting;
      await stores.nodes.forget(config.nodeId).catch(() => {});
      step('webhooksMs');
      await stores.close();
      step('storesMs');
      await metricsListener.close();
      services.outage.stop();
      await Promise.race([
        connectionsClosed,
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_CLOSE_WAIT_MS).unref()),
      ]);
      step('connectionsMs');
      log.info({ took }, 'shut down');
    },
  };
}

/** Engine connections by transport: one pass over them, when Prometheus scrapes. */
function connectionsByTransport(io: ParleyIo): Record<'websocket' | 'polling', number> {
  const open = { websocket: 0, polling: 0 };
  for (const connection of engineConnections(io)) {
    if (connection.transport.name === 'websocket') open.websocket++;
    else open.polling++;
  }
  return open;
}

/** Sockets, their room joins and distinct users on this node (read when scraped). */
function occupancyOf(io: ParleyIo): { sockets: number; roomJoins: number; users: number } {
  let sockets = 0;
  let roomJoins = 0;
  const users = new Set<string>();
  for (const namespace of namespacesOf(io).all()) {
    sockets += namespace.sockets.size;
    for (const socket of namespace.sockets.values()) {
      const user = socket.data.user?.id;
      if (user !== undefined) users.add(`${namespace.name}\u0000${user}`);
    }
    for (const [channel, members] of namespace.adapter.rooms) {
      if (isRoomChannel(channel)) roomJoins += members.size;
    }
  }
  return { sockets, roomJoins, users: users.size };
}

/** Chat rooms (not lobbies, not sockets' own rooms) this node has sockets in. */
function roomsWithSockets(io: ParleyIo): number {
  let rooms = 0;
  for (const namespace of namespacesOf(io).all()) {
    for (const channel of namespace.adapter.rooms.keys()) {
      if (isRoomChannel(channel)) rooms++;
    }
  }
  return rooms;
}

/** Milliseconds per step of a sequence: `step(name)` ends the step begun at the last one. */
function stepTimes() {
  const took: Record<string, number> = {};
  let stepStart = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    took[name] = Math.round(now - stepStart);
    stepStart = now;
  };
  return { took, step };
}
