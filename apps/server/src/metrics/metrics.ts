import { ClientEvent, type ClientEventName, ERROR_CODES, type ErrorCode } from '@parley/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What the server counts, for Prometheus (`GET /metrics`, docs/observability.md). Instrumented
 * code calls these small functions and never prom-client: the names, labels and buckets live
 * here, in one place, and every label value comes from a fixed list (the protocol's event names
 * and error codes, transports, route patterns, lanes), never from what a client sent.
 *
 * Counters on paths a client drives are plain numbers (a `Map` lookup and an addition: nothing
 * allocated) copied into the registry when it is scraped; so is what other parts count already
 * (the fast path, the webhooks), and gauges are read from their source at scrape time.
 */
export interface Metrics {
  /** This server's own registry: several servers in one process (tests) never share series. */
  readonly registry: Registry;
  /** An engine handshake (`engine`) or a workspace's token check (`workspace`) was answered. */
  handshake(stage: 'engine' | 'workspace', code: 'ok' | ErrorCode): void;
  /** A client event arrived; `undefined`: a name no handler serves. */
  eventReceived(event: ClientEventName | undefined): void;
  /** An event was answered (acknowledged or not), `seconds` after it arrived. */
  answered(event: ClientEventName | undefined, code: 'ok' | ErrorCode, seconds: number): void;
  /** A new message was stored (not a resend answered with the original). */
  messageStored(): void;
  /** How many `messageStored` counted since the server started (the node's heartbeat report). */
  messagesStoredTotal(): number;
  /** One stored entry went out to `recipients` local sockets of its room (counted per broadcast). */
  fannedOut(recipients: number): void;
  /** A limit refused something. */
  rateLimited(kind: RateLimitKind): void;
  /** A connection was closed for reading too slowly. */
  slowReaderClosed(): void;
  /** A store call failed as `unavailable` (Redis unreachable or past its deadline). */
  storeUnavailable(): void;
  /** A Redis store call ended (answered or failed) after `seconds`; `store` names its store. */
  storeCall(store: string, seconds: number): void;
  /** A stored entry's announcement came in over pub/sub: for this node's sockets, or skipped. */
  announcementHeard(delivered: boolean): void;
  /** An HTTP request (not Socket.IO's) was answered; `route`: the matched pattern. */
  httpRequest(route: string, method: string, status: number): void;
  /** A webhook delivery attempt ended. */
  webhookAttempt(lane: WebhookLaneName, outcome: WebhookOutcome): void;
  /** Where the scrape-time values come from; called once by the server. */
  watch(sources: MetricSources): void;
}

export type RateLimitKind =
  | 'events'
  | 'messages'
  | 'typing'
  | 'room_creates'
  | 'connections'
  | 'guest_tokens'
  | 'api'
  | 'other';

export type WebhookLaneName = 'messages' | 'presence';
export type WebhookOutcome = 'delivered' | 'retried' | 'given_up';

/** Read when Prometheus scrapes, from what the server counts or holds already. */
export interface MetricSources {
  /** Engine connections open now, by transport. */
  connections(): Record<'websocket' | 'polling', number>;
  /** Chat rooms that have sockets on this node now. */
  roomsActive(): number;
  /**
   * Who is here: Socket.IO sockets (a connection may open several workspaces), their joins to
   * chat rooms (one per socket per room), and distinct users (per workspace) with a socket.
   */
  occupancy(): { sockets: number; roomJoins: number; users: number };
  /** Room joins the node works on now, and those waiting their turn (the join gate). */
  joins(): { running: number; waiting: number };
  /** Bytes waiting to reach clients now: all connections together, and the most for one. */
  waitingBytes(): { total: number; max: number };
  fastPath(): { directFrames: number; heldWrites: number; batches: number };
  webhookEvents(): {
    queued: number;
    droppedQueueFull: number;
    lost: number;
    coalesced: number;
    overBudget: number;
  };
  /** Deliveries waiting in each lane's queue (shared by the cluster with Redis). */
  webhookBacklog(): Promise<Record<WebhookLaneName, number>>;
}

/** Ack latencies are milliseconds on a healthy node; the top buckets catch a stalled store. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const FAN_OUT_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

const EVENT_NAMES = new Set<string>(Object.values(ClientEvent));
const CODES = new Set<string>(['ok', ...ERROR_CODES]);
/** Label values for what is not in a fixed list (an unknown event name, a path no route has). */
const OTHER = 'other';
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']);

/** A counter kept as plain numbers by one label, written into prom-client when scraped. */
class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, amount = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + amount);
  }
}

export function createMetrics({ defaults = true }: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'parley_' });

  let sources: MetricSources | undefined;
  const handshakes = new Map<string, Tally>();
  const events = new Tally();
  const answers = new Map<string, Tally>();
  const rateLimits = new Tally();
  const http = new Map<string, Tally>();
  const attempts = new Map<string, Tally>();
  let stored = 0;
  let slowReaders = 0;
  let unavailable = 0;
  let lastUnavailableAt = 0;

  const tallyOf = (tallies: Map<string, Tally>, key: string) => {
    let tally = tallies.get(key);
    if (!tally) {
      tally = new Tally();
      tallies.set(key, tally);
    }
    return tally;
  };

  /** A counter filled from tallies when scraped. */
  const tallied = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (set: (labels: Record<L, string>, value: number) => void) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill((labels, value) => this.inc(labels, value));
      },
    });

  tallied(
    'parley_handshakes_total',
    'Connection handshakes answered, by stage (engine: origin and per-address limits; workspace: the token check) and code (ok, or the refusal error code).',
    ['stage', 'code'],
    (set) => {
      for (const [stage, tally] of handshakes) {
        for (const [code, value] of tally.counts) set({ stage, code }, value);
      }
    },
  );
  tallied(
    'parley_events_received_total',
    'Client events received, by event name (other: a name no handler serves).',
    ['event'],
    (set) => {
      for (const [event, value] of events.counts) set({ event }, value);
    },
  );
  tallied(
    'parley_acks_total',
    'Client events answered, by event name and code (ok, or the error code of the answer).',
    ['event', 'code'],
    (set) => {
      for (const [event, tally] of answers) {
        for (const [code, value] of tally.counts) set({ event, code }, value);
      }
    },
  );
  const latency = new Histogram({
    name: 'parley_ack_duration_seconds',
    help: 'Time from a client event arriving to its answer, by event name.',
    labelNames: ['event'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  // One labels object per event name, made once: nothing is allocated per answer.
  const latencyLabels = new Map(
    [...EVENT_NAMES, OTHER].map((event) => [event, { event }] as const),
  );
  new Counter({
    name: 'parley_messages_stored_total',
    help: 'New messages stored by this node (from sockets and the server API; resends not counted).',
    registers,
    collect() {
      this.reset();
      this.inc(stored);
    },
  });
  // Busy share of the event loop since the previous scrape (0-1): lag says how late timers are,
  // this how close the node is to saturation.
  let lastUtilization = performance.eventLoopUtilization();
  new Gauge({
    name: 'parley_event_loop_utilization',
    help: 'Share of time the event loop was busy since the previous scrape (0 to 1).',
    registers,
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, lastUtilization).utilization);
      lastUtilization = now;
    },
  });
  new Gauge({
    name: 'parley_waiting_bytes',
    help: 'Bytes waiting to reach clients (queued and in TCP buffers): all connections, and the most for one (slow readers are cut past MAX_BUFFERED_BYTES).',
    labelNames: ['of'],
    registers,
    collect() {
      const waiting = sources?.waitingBytes() ?? { total: 0, max: 0 };
      this.set({ of: 'all' }, waiting.total);
      this.set({ of: 'largest' }, waiting.max);
    },
  });
  const storeCalls = new Histogram({
    name: 'parley_store_call_duration_seconds',
    help: 'Time a Redis store call took, answered or failed, by store (history, rooms, presence, …).',
    labelNames: ['store'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  // Store names come from the code (stores/redis/index.ts), never from a request: a bounded set,
  // and one labels object each, made on first use.
  const storeLabels = new Map<string, { store: string }>();
  let announcedDelivered = 0;
  let announcedSkipped = 0;
  new Counter({
    name: 'parley_announcements_total',
    help: "Stored entries announced over Redis pub/sub: delivered to this node's sockets, or skipped on the header (no socket in the room here).",
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      this.inc({ outcome: 'delivered' }, announcedDelivered);
      this.inc({ outcome: 'skipped' }, announcedSkipped);
    },
  });
  const fanOut = new Histogram({
    name: 'parley_broadcast_fanout',
    help: 'Local sockets each stored entry (message, edit, deletion) was delivered to, per broadcast.',
    buckets: FAN_OUT_BUCKETS,
    registers,
  });
  tallied(
    'parley_rate_limited_total',
    'Requests refused by a limit, by kind (events: the per-connection flood guard; messages, typing, room_creates, connections, guest_tokens, api).',
    ['kind'],
    (set) => {
      for (const [kind, value] of rateLimits.counts) set({ kind }, value);
    },
  );
  new Counter({
    name: 'parley_slow_reader_disconnects_total',
    help: 'Connections closed because more than MAX_BUFFERED_BYTES waited for them to read.',
    registers,
    collect() {
      this.reset();
      this.inc(slowReaders);
    },
  });
  new Counter({
    name: 'parley_store_unavailable_total',
    help: 'Store calls that failed as unavailable (Redis unreachable or past REDIS_COMMAND_TIMEOUT_MS), as callers saw them.',
    registers,
    collect() {
      this.reset();
      this.inc(unavailable);
    },
  });
  new Gauge({
    name: 'parley_store_last_unavailable_timestamp_seconds',
    help: 'Unix time of the last store call that failed as unavailable; 0: none since start.',
    registers,
    collect() {
      this.set(lastUnavailableAt / 1000);
    },
  });
  tallied(
    'parley_http_requests_total',
    'HTTP requests answered (probes, guest sessions, the server API, /metrics), by route pattern, method and status.',
    ['route', 'method', 'status'],
    (set) => {
      for (const [key, tally] of http) {
        const [route = OTHER, method = OTHER] = key.split(' ');
        for (const [status, value] of tally.counts) set({ route, method, status }, value);
      }
    },
  );
  tallied(
    'parley_webhook_attempts_total',
    'Webhook delivery attempts, by lane and outcome (delivered, retried: failed and rescheduled, given_up: failed for the last time).',
    ['lane', 'outcome'],
    (set) => {
      for (const [lane, tally] of attempts) {
        for (const [outcome, value] of tally.counts) set({ lane, outcome }, value);
      }
    },
  );

  // Read from their sources when scraped.
  new Gauge({
    name: 'parley_connections',
    help: 'Engine connections open on this node, by transport.',
    labelNames: ['transport'],
    registers,
    collect() {
      if (!sources) return;
      for (const [transport, value] of Object.entries(sources.connections())) {
        this.set({ transport }, value);
      }
    },
  });
  new Gauge({
    name: 'parley_rooms_active',
    help: 'Chat rooms with at least one socket on this node.',
    registers,
    collect() {
      if (sources) this.set(sources.roomsActive());
    },
  });
  for (const [name, help, figure] of [
    [
      'parley_sockets',
      'Socket.IO sockets open on this node, every workspace (a connection may open several).',
      'sockets',
    ],
    [
      'parley_room_joins',
      'Sockets joined to chat rooms on this node: one per socket per room.',
      'roomJoins',
    ],
    [
      'parley_users_connected',
      'Distinct users with a socket on this node (a user in two workspaces counts twice).',
      'users',
    ],
  ] as const) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (sources) this.set(sources.occupancy()[figure]);
      },
    });
  }
  new Gauge({
    name: 'parley_joins',
    help: 'Room joins this node works on now (running) and those waiting their turn (waiting): a reconnect storm shows here first.',
    labelNames: ['state'],
    registers,
    collect() {
      if (!sources) return;
      const { running, waiting } = sources.joins();
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  new Counter({
    name: 'parley_deliveries_total',
    help: 'Writes to connections by the fast path: direct (broadcast frames written straight to an idle TCP socket) and batched (engine writes held to leave with their event-loop turn). Zero while the fast path is off.',
    labelNames: ['path'],
    registers,
    collect() {
      if (!sources) return;
      const stats = sources.fastPath();
      this.reset();
      this.inc({ path: 'direct' }, stats.directFrames);
      this.inc({ path: 'batched' }, stats.heldWrites);
    },
  });
  new Counter({
    name: 'parley_write_batches_total',
    help: 'Batched writes released by the fast path: each sent what it held in one system call.',
    registers,
    collect() {
      if (!sources) return;
      this.reset();
      this.inc(sources.fastPath().batches);
    },
  });
  new Counter({
    name: 'parley_webhook_events_total',
    help: 'Webhook events by what became of them on this node: queued, dropped_queue_full, lost (the queue failed), coalesced (cancelled by their opposite), over_budget (presence events over the per-user budget).',
    labelNames: ['outcome'],
    registers,
    collect() {
      if (!sources) return;
      const counts = sources.webhookEvents();
      this.reset();
      this.inc({ outcome: 'queued' }, counts.queued);
      this.inc({ outcome: 'dropped_queue_full' }, counts.droppedQueueFull);
      this.inc({ outcome: 'lost' }, counts.lost);
      this.inc({ outcome: 'coalesced' }, counts.coalesced);
      this.inc({ outcome: 'over_budget' }, counts.overBudget);
    },
  });
  new Gauge({
    name: 'parley_webhook_backlog',
    help: 'Webhook deliveries waiting in the queue, by lane (with Redis: the whole cluster).',
    labelNames: ['lane'],
    registers,
    async collect() {
      if (!sources) return;
      // An unreachable store must not fail the scrape: the series are left out instead.
      const backlog = await sources.webhookBacklog().catch(() => undefined);
      this.reset();
      if (!backlog) return;
      for (const [lane, value] of Object.entries(backlog)) this.set({ lane }, value);
    },
  });

  return {
    registry,
    handshake(stage, code) {
      tallyOf(handshakes, stage).add(CODES.has(code) ? code : OTHER);
    },
    eventReceived(event) {
      events.add(event ?? OTHER);
    },
    answered(event, code, seconds) {
      const name = event ?? OTHER;
      tallyOf(answers, name).add(CODES.has(code) ? code : OTHER);
      latency.observe(latencyLabels.get(name) ?? { event: OTHER }, seconds);
    },
    messageStored() {
      stored++;
    },
    messagesStoredTotal: () => stored,
    fannedOut(recipients) {
      fanOut.observe(recipients);
    },
    rateLimited(kind) {
      rateLimits.add(kind);
    },
    slowReaderClosed() {
      slowReaders++;
    },
    storeUnavailable() {
      unavailable++;
      lastUnavailableAt = Date.now();
    },
    storeCall(store, seconds) {
      let labels = storeLabels.get(store);
      if (!labels) {
        labels = { store };
        storeLabels.set(store, labels);
      }
      storeCalls.observe(labels, seconds);
    },
    announcementHeard(delivered) {
      if (delivered) announcedDelivered++;
      else announcedSkipped++;
    },
    httpRequest(route, method, status) {
      const bounded = METHODS.has(method) ? method : OTHER;
      tallyOf(http, `${route} ${bounded}`).add(String(status));
    },
    webhookAttempt(lane, outcome) {
      tallyOf(attempts, lane).add(outcome);
    },
    watch(watched) {
      sources = watched;
    },
  };
}

/** Whether a name is one of the protocol's client events (label values come only from there). */
export function knownEvent(name: unknown): ClientEventName | undefined {
  return typeof name === 'string' && EVENT_NAMES.has(name) ? (name as ClientEventName) : undefined;
}
