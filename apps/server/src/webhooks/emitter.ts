import { randomBytes } from 'node:crypto';
import type { WebhookDataOf, WebhookEvent, WebhookEventType } from '@parley/protocol';
import type { Logger } from '../logger';
import type { WebhookDelivery, WebhookLane, WebhookQueue } from '../stores/types';
import { throttledLog } from '../throttled-log';
import type { PresenceEvent, PresenceFilter } from './presence-filter';

/** How the rest of the server reports what webhooks announce. */
export interface WebhookEmitter {
  /** Whether events go anywhere: work that only webhooks need is skipped when they do not. */
  readonly enabled: boolean;
  /**
   * Queues the event for every endpoint and returns at once: it never throws and never waits
   * for the queue, let alone the network, so nothing a user waits for is slowed by webhooks.
   * Presence events name the user who caused them (`causedBy`): they pass the presence filter.
   */
  emit<T extends WebhookEventType>(
    type: T,
    workspace: string,
    data: WebhookDataOf<T>,
    causedBy?: string,
  ): void;
}

/** For servers without webhook endpoints: nothing is queued, nothing changes. */
export const disabledWebhooks: WebhookEmitter = {
  enabled: false,
  emit() {},
};

/** What happened to the events, since the node started: drops are never silent. */
export interface WebhookCounts {
  queued: number;
  /** Refused by a full lane. */
  droppedQueueFull: number;
  /** The queue could not be reached (Redis down). */
  lost: number;
}

export interface EmitterOptions {
  queues: Record<WebhookLane, WebhookQueue>;
  urls: string[];
  log: Logger;
  presence: PresenceFilter;
  /** Keeps the enqueue until it settles, so shutdown waits for it. */
  track(work: Promise<unknown>): void;
  /** Called once an event is queued in a lane, so this node sends it without waiting for a poll. */
  queued(lane: WebhookLane): void;
}

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}

/** `message.*` events have a lane of their own: presence traffic can never crowd them out. */
export function laneOf(type: WebhookEventType): WebhookLane {
  return type.startsWith('message.') ? 'messages' : 'presence';
}

export function createWebhookEmitter({
  queues,
  urls,
  log,
  presence,
  track,
  queued,
}: EmitterOptions): WebhookEmitter & { counts: Readonly<WebhookCounts> } {
  const counts: WebhookCounts = { queued: 0, droppedQueueFull: 0, lost: 0 };
  const dropped = throttledLog(
    log,
    'error',
    'webhook queue full: events dropped (is a receiver down?)',
  );
  const lost = throttledLog(log, 'error', 'webhook events lost: the queue could not be reached');

  function enqueue(type: WebhookEventType, workspace: string, data: unknown): void {
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
    const lane = laneOf(type);
    track(
      queues[lane].enqueue(deliveries).then(
        (accepted) => {
          if (accepted) {
            counts.queued++;
            queued(lane);
            return;
          }
          counts.droppedQueueFull++;
          dropped({ eventId: event.id, type, workspace, lane, dropped: counts.droppedQueueFull });
        },
        (error: unknown) => {
          counts.lost++;
          lost({ eventId: event.id, type, workspace, err: error, lost: counts.lost });
        },
      ),
    );
  }

  return {
    enabled: true,
    counts,
    emit(type, workspace, data, causedBy) {
      if (laneOf(type) === 'messages' || causedBy === undefined) {
        enqueue(type, workspace, data);
        return;
      }
      presence.offer({
        type: type as PresenceEvent['type'],
        workspace,
        room: (data as { room: string }).room,
        userId: causedBy,
        send: () => enqueue(type, workspace, data),
      });
    },
  };
}
