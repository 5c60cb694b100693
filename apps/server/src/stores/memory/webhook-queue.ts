import type { ClaimedDelivery, WebhookDelivery, WebhookQueue } from '../types';

interface Entry {
  delivery: WebhookDelivery;
  attempts: number;
  /** Due time (ms); while claimed, when the claim lapses. */
  dueAt: number;
}

/**
 * The webhook queue of one process. Bounded: a receiver that is down for long must not let
 * events pile up until the process runs out of memory; what does not fit is refused (and the
 * caller logs it). Everything here is lost when the process exits.
 */
export function createMemoryWebhookQueue({ capacity }: { capacity: number }): WebhookQueue {
  const entries = new Map<string, Entry>();

  return {
    async enqueue(deliveries) {
      if (entries.size + deliveries.length > capacity) return false;
      const now = Date.now();
      for (const delivery of deliveries) {
        if (!entries.has(delivery.id))
          entries.set(delivery.id, { delivery, attempts: 0, dueAt: now });
      }
      return true;
    },

    async claim({ max, leaseMs, maxAttempts }) {
      const now = Date.now();
      // Insertion order is enqueue order: the first due entries found are the oldest events.
      const due: Entry[] = [];
      for (const entry of entries.values()) {
        if (due.length === max) break;
        if (entry.dueAt <= now) due.push(entry);
      }
      const claimed: ClaimedDelivery[] = [];
      const abandoned: WebhookDelivery[] = [];
      for (const entry of due) {
        if (entry.attempts >= maxAttempts) {
          entries.delete(entry.delivery.id);
          abandoned.push(entry.delivery);
          continue;
        }
        entry.attempts += 1;
        entry.dueAt = now + leaseMs;
        claimed.push({ ...entry.delivery, attempt: entry.attempts, lease: entry.dueAt });
      }
      return { claimed, abandoned };
    },

    async ack(id) {
      entries.delete(id);
    },

    async retry({ id, lease }, delayMs) {
      const entry = entries.get(id);
      if (!entry || entry.dueAt !== lease) return false;
      entry.dueAt = Date.now() + delayMs;
      return true;
    },

    async size() {
      return entries.size;
    },
  };
}
