import { randomBytes } from 'node:crypto';
import type { WebhookDataOf, WebhookEvent, WebhookEventType } from '@parley/protocol';
import type { Logger } from '../logger';
import type { WebhookDelivery, WebhookQueue } from '../stores/types';
import { throttledLog } from '../throttled-log';

/** How the rest of the server reports what webhooks announce. */
export interface WebhookEmitter {
  /** Whether events go anywhere: work that only webhooks need is skipped when they do not. */
  readonly enabled: boolean;
  /**
   * Queues the event for every endpoint and returns at once: it never throws and never waits
   * for the queue, let alone the network, so nothing a user waits for is slowed by webhooks.
   */
  emit<T extends WebhookEventType>(type: T, workspace: string, data: WebhookDataOf<T>): void;
}

/** For servers without webhook endpoints: nothing is queued, nothing changes. */
export const disabledWebhooks: WebhookEmitter = {
  enabled: false,
  emit() {},
};

export interface EmitterOptions {
  queue: WebhookQueue;
  urls: string[];
  log: Logger;
  /** Keeps the enqueue until it settles, so shutdown waits for it. */
  track(work: Promise<unknown>): void;
  /** Called once an event is queued, so this node can send it without waiting for a poll. */
  queued(): void;
}

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}

export function createWebhookEmitter({
  queue,
  urls,
  log,
  track,
  queued,
}: EmitterOptions): WebhookEmitter {
  const dropped = throttledLog(
    log,
    'error',
    'webhook queue full: events dropped (is a receiver down?)',
  );
  const lost = throttledLog(log, 'error', 'webhook events lost: the queue could not be reached');

  return {
    enabled: true,
    emit(type, workspace, data) {
      const event = {
        id: newEventId(),
        type,
        createdAt: new Date().toISOString(),
        workspace,
        data,
      } as WebhookEvent;
      const body = JSON.stringify(event);
      // One delivery per endpoint: each is retried on its own, so one dead receiver does not
      // hold back, or duplicate, what the others get.
      const deliveries = urls.map(
        (url, index): WebhookDelivery => ({
          id: `${event.id}.${index}`,
          url,
          eventId: event.id,
          eventType: type,
          body,
        }),
      );
      const fields = { eventId: event.id, type, workspace };
      track(
        queue.enqueue(deliveries).then(
          (accepted) => (accepted ? queued() : dropped(fields)),
          (error: unknown) => lost({ ...fields, err: error }),
        ),
      );
    },
  };
}
