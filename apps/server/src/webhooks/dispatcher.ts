import type { WebhookConfig } from '../config';
import type { Logger } from '../logger';
import type { ClaimedDelivery, WebhookQueue } from '../stores/types';
import { throttledLog } from '../throttled-log';
import { retryDelayMs } from './backoff';
import { type SendOutcome, sendDelivery } from './send';

export interface WebhookDispatcher {
  /** Something was just queued: look now rather than at the next poll. */
  wake(): void;
  /**
   * Stops taking deliveries and waits for those in flight (each bounded by the timeout).
   * `lastPass`: first send once more whatever is due (for a queue that dies with the process).
   */
  stop(options?: { lastPass?: boolean }): Promise<void>;
}

/** How an attempt ended: delivered, failed and rescheduled, or failed for the last time. */
export type AttemptOutcome = 'delivered' | 'retried' | 'given_up';

export interface DispatcherOptions {
  queue: WebhookQueue;
  config: Pick<WebhookConfig, 'secret' | 'timeoutMs' | 'maxAttempts' | 'retryBaseMs'>;
  log: Logger;
  /** Deliveries in flight at once on this node. */
  concurrency?: number;
  /**
   * How often to look for due deliveries this node did not queue or schedule itself: those
   * other nodes queued, and those whose claim lapsed (a node died mid-delivery).
   */
  pollIntervalMs?: number;
  /** Told how each attempt ended (the metrics). */
  attempted?: (outcome: AttemptOutcome) => void;
}

/**
 * Sends queued deliveries in the background, a bounded number at a time: claims what is due,
 * POSTs it, then acknowledges it, reschedules it with backoff, or gives it up after the last
 * attempt. A claim is a lease, so a delivery this node dies holding is retried by another.
 */
export function startWebhookDispatcher({
  queue,
  config,
  log,
  concurrency = 8,
  pollIntervalMs = 1000,
  attempted = () => {},
}: DispatcherOptions): WebhookDispatcher {
  // Long enough for one attempt and its acknowledgement; a lapsed lease means a duplicate.
  const leaseMs = config.timeoutMs + 5000;
  const active = new Set<Promise<void>>();
  const wakeTimers = new Set<NodeJS.Timeout>();
  let claiming: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let unreachable = false;
  // A receiver that is down fails every attempt of every event: say so, but not per attempt.
  const failing = throttledLog(log, 'warn', 'webhook deliveries failing; retrying with backoff');

  async function claimWhileRoom(): Promise<void> {
    do {
      again = false;
      const free = concurrency - active.size;
      if (free <= 0) return;
      const { claimed, abandoned } = await queue.claim({
        max: free,
        leaseMs,
        maxAttempts: config.maxAttempts,
      });
      if (unreachable) log.info('webhook queue reachable again');
      unreachable = false;
      for (const delivery of abandoned) {
        log.error(
          { eventId: delivery.eventId, type: delivery.eventType, url: delivery.url },
          'webhook delivery given up: its attempts ran out on nodes that stopped mid-delivery',
        );
      }
      for (const delivery of claimed) begin(delivery);
      // A full batch suggests more is due.
      if (claimed.length + abandoned.length === free) again = true;
      // Once stopped, one batch at most: the last pass of a queue that ends with the process.
    } while (again && !stopped);
  }

  function fill(): void {
    if (claiming) {
      again = true;
      return;
    }
    claiming = claimWhileRoom()
      .catch((error: unknown) => {
        if (!unreachable) log.warn({ err: error }, 'webhook queue unreachable; retrying');
        unreachable = true;
      })
      .finally(() => {
        claiming = undefined;
      });
  }

  function begin(delivery: ClaimedDelivery): void {
    const work = attempt(delivery).finally(() => {
      active.delete(work);
      if (!stopped) fill();
    });
    active.add(work);
  }

  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const outcome = await sendDelivery(delivery, config);
    try {
      await settle(delivery, outcome);
    } catch (error) {
      log.warn(
        { err: error, eventId: delivery.eventId },
        'could not record a webhook attempt; the delivery is retried once its claim lapses',
      );
    }
  }

  async function settle(delivery: ClaimedDelivery, outcome: SendOutcome): Promise<void> {
    const fields = {
      eventId: delivery.eventId,
      type: delivery.eventType,
      url: delivery.url,
      attempt: delivery.attempt,
    };
    if (outcome.ok) {
      attempted('delivered');
      await queue.ack(delivery.id);
      log.debug({ ...fields, status: outcome.status }, 'webhook delivered');
      return;
    }
    if (delivery.attempt >= config.maxAttempts) {
      attempted('given_up');
      await queue.ack(delivery.id);
      log.error({ ...fields, reason: outcome.reason }, 'webhook delivery given up');
      return;
    }
    const delayMs = retryDelayMs(delivery.attempt, config.retryBaseMs);
    attempted('retried');
    if (await queue.retry(delivery, delayMs)) wakeAfter(delayMs);
    log.debug({ ...fields, reason: outcome.reason, retryInMs: delayMs }, 'webhook attempt failed');
    failing({ ...fields, reason: outcome.reason, retryInMs: delayMs });
  }

  /** The retry is this node's to send, unless another node gets to it first. */
  function wakeAfter(delayMs: number): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      wakeTimers.delete(timer);
      fill();
    }, delayMs + 5);
    timer.unref();
    wakeTimers.add(timer);
  }

  const poller = setInterval(fill, pollIntervalMs);
  poller.unref();
  fill();

  return {
    wake() {
      if (!stopped) fill();
    },
    async stop({ lastPass = false } = {}) {
      stopped = true;
      clearInterval(poller);
      for (const timer of wakeTimers) clearTimeout(timer);
      if (lastPass) fill();
      while (claiming || active.size > 0) {
        await claiming;
        await Promise.allSettled([...active]);
      }
    },
  };
}
