import type { WebhookConfig } from '../config';
import type { Logger } from '../logger';
import type { WebhookQueue } from '../stores/types';
import { startWebhookDispatcher, type WebhookDispatcher } from './dispatcher';
import { createWebhookEmitter, disabledWebhooks, type WebhookEmitter } from './emitter';

export type { WebhookEmitter } from './emitter';

export interface Webhooks {
  emitter: WebhookEmitter;
  /** Starts sending, once the queue's store is open. */
  start(): void;
  /** Stops sending; call before the stores close. */
  stop(): Promise<void>;
}

export interface WebhookOptions {
  queue: WebhookQueue;
  log: Logger;
  track(work: Promise<unknown>): void;
  /** Whether the queue outlives this process (Redis): then what is left is sent by other nodes. */
  durable: boolean;
  /** For tests: how often to look for deliveries queued elsewhere or left by a dead node. */
  pollIntervalMs?: number;
}

/** Outgoing webhooks as configured: off (nothing queued, nothing sent) without endpoints. */
export function createWebhooks(config: WebhookConfig, options: WebhookOptions): Webhooks {
  if (config.urls.length === 0) {
    return { emitter: disabledWebhooks, start() {}, async stop() {} };
  }
  const log = options.log.child({ component: 'webhooks' });
  let dispatcher: WebhookDispatcher | undefined;
  const emitter = createWebhookEmitter({
    queue: options.queue,
    urls: config.urls,
    log,
    track: options.track,
    queued: () => dispatcher?.wake(),
  });

  return {
    emitter,
    start() {
      dispatcher ??= startWebhookDispatcher({
        queue: options.queue,
        config,
        log,
        pollIntervalMs: options.pollIntervalMs,
      });
      log.info({ endpoints: config.urls.length }, 'sending webhooks');
    },
    async stop() {
      // In memory, what is still queued dies with the process: send what is due one last time.
      await dispatcher?.stop({ lastPass: !options.durable });
      dispatcher = undefined;
      const pending = await options.queue.size().catch(() => undefined);
      if (!pending) return;
      if (options.durable) {
        log.info({ pending }, 'webhook deliveries left in Redis for the other nodes');
      } else {
        log.warn({ pending }, 'webhook deliveries lost: the in-memory queue ends with the process');
      }
    },
  };
}
