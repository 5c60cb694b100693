import type { WebhookConfig } from '../config';
import type { Logger } from '../logger';
import type { WebhookLane, WebhookQueue } from '../stores/types';
import { type AttemptOutcome, startWebhookDispatcher, type WebhookDispatcher } from './dispatcher';
import {
  createWebhookEmitter,
  disabledWebhooks,
  type WebhookCounts,
  type WebhookEmitter,
} from './emitter';
import { createPresenceFilter, type PresenceCounts } from './presence-filter';

export type { WebhookEmitter } from './emitter';

export interface Webhooks {
  emitter: WebhookEmitter;
  /** Starts sending, once the queue's store is open. */
  start(): void;
  /** Stops sending; call before the stores close. */
  stop(): Promise<void>;
  /** What happened to the events since start: queued, coalesced, dropped (and why), lost. */
  counts(): WebhookCounts & PresenceCounts;
  /** Deliveries waiting in each lane's queue (with Redis: the cluster's). */
  backlog(): Promise<Record<WebhookLane, number>>;
}

export interface WebhookOptions {
  queues: Record<WebhookLane, WebhookQueue>;
  log: Logger;
  track(work: Promise<unknown>): void;
  /** Whether the queue outlives this process (Redis): then what is left is sent by other nodes. */
  durable: boolean;
  /** Told how each delivery attempt ended, for the metrics. */
  attempted?: (lane: WebhookLane, outcome: AttemptOutcome) => void;
  /** For tests: how often to look for deliveries queued elsewhere or left by a dead node. */
  pollIntervalMs?: number;
}

/** Deliveries in flight at once per lane on one node: messages get more, and their own. */
const CONCURRENCY: Record<WebhookLane, number> = { messages: 8, presence: 4 };
const LANES: WebhookLane[] = ['messages', 'presence'];

/** Outgoing webhooks as configured: off (nothing queued, nothing sent) without endpoints. */
export function createWebhooks(config: WebhookConfig, options: WebhookOptions): Webhooks {
  if (config.urls.length === 0) {
    return {
      emitter: disabledWebhooks,
      start() {},
      async stop() {},
      counts: () => ({ queued: 0, droppedQueueFull: 0, lost: 0, coalesced: 0, overBudget: 0 }),
      backlog: async () => ({ messages: 0, presence: 0 }),
    };
  }
  const log = options.log.child({ component: 'webhooks' });
  const dispatchers = new Map<WebhookLane, WebhookDispatcher>();
  const presence = createPresenceFilter({
    coalesceMs: config.presenceCoalesceMs,
    perUserPerMinute: config.presenceEventsPerUserPerMinute,
  });
  const emitter = createWebhookEmitter({
    queues: options.queues,
    urls: config.urls,
    log,
    presence,
    track: options.track,
    queued: (lane) => dispatchers.get(lane)?.wake(),
  });

  return {
    emitter,
    counts: () => ({ ...emitter.counts, ...presence.counts }),
    async backlog() {
      const [messages = 0, presence = 0] = await Promise.all(
        LANES.map((lane) => options.queues[lane].size()),
      );
      return { messages, presence };
    },
    start() {
      for (const lane of LANES) {
        if (dispatchers.has(lane)) continue;
        dispatchers.set(
          lane,
          startWebhookDispatcher({
            queue: options.queues[lane],
            config,
            log,
            concurrency: CONCURRENCY[lane],
            pollIntervalMs: options.pollIntervalMs,
            attempted: (outcome) => options.attempted?.(lane, outcome),
          }),
        );
      }
      log.info({ endpoints: config.urls.length }, 'sending webhooks');
    },
    async stop() {
      // Presence events held for coalescing go to the queue now, not never.
      presence.flush();
      presence.stop();
      await Promise.all(
        // In memory, what is still queued dies with the process: send what is due one last time.
        [...dispatchers.values()].map((d) => d.stop({ lastPass: !options.durable })),
      );
      dispatchers.clear();
      const sizes = await Promise.all(
        LANES.map((lane) => options.queues[lane].size().catch(() => 0)),
      );
      const pending = sizes.reduce((sum, size) => sum + size, 0);
      const counts = { ...emitter.counts, ...presence.counts };
      if (!pending) {
        log.info(counts, 'webhooks stopped');
        return;
      }
      if (options.durable) {
        log.info({ pending, ...counts }, 'webhook deliveries left in Redis for the other nodes');
      } else {
        log.warn(
          { pending, ...counts },
          'webhook deliveries lost: the in-memory queue ends with the process',
        );
      }
    },
  };
}
