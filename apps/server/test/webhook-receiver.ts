import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookLane, WebhookQueue } from '../src/stores/types';

export interface ReceivedWebhook {
  /** The exact body, as the signature covers it. */
  body: string;
  headers: IncomingHttpHeaders;
  /** The body parsed (not validated: tests validate it against the schema). */
  json: { id: string; type: string; [key: string]: unknown };
  /** When it arrived (Date.now()). */
  at: number;
}

/** A status to answer, `drop` to destroy the connection unanswered, `hang` to never answer. */
export type Answer = number | 'drop' | 'hang';

export interface WebhookReceiver {
  url: string;
  /** Every request received, in arrival order (failed attempts included). */
  received: ReceivedWebhook[];
  /** How to answer each request; 200 unless a test says otherwise. */
  answer: (request: ReceivedWebhook, sameEventBefore: number) => Answer;
  /** Resolves once `done(received)` holds; rejects after `timeoutMs`. */
  waitFor(done: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP endpoint on a free loopback port, as a team's backend would run one. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhook = { body, headers: request.headers, json: JSON.parse(body), at: Date.now() };
      const before = received.filter((r) => r.json.id === webhook.json.id).length;
      received.push(webhook);
      const answer = receiver.answer(webhook, before);
      for (const waiter of waiters) waiter();
      if (answer === 'hang') return;
      if (answer === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks/parley`,
    received,
    answer: () => 200,
    waitFor(done, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `webhooks not as expected within ${timeoutMs} ms; got ${received.map((r) => r.json.type).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

/** How many requests arrived per event id. */
export function countById(received: ReceivedWebhook[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { json } of received) counts.set(json.id, (counts.get(json.id) ?? 0) + 1);
  return counts;
}

/** The event types received, sorted, one per distinct event: easy to compare with a list. */
export function typesOf(received: ReceivedWebhook[]): string[] {
  const byId = new Map(received.map((r) => [r.json.id, r.json.type]));
  return [...byId.values()].sort();
}

/**
 * Deliveries still in the queues: due, waiting for a retry, or in flight (a delivery leaves its
 * queue only once acknowledged or given up). Zero once every node sending from them has stopped
 * (stopping waits for what it has in flight) means that what a receiver got is all it will ever
 * get: how a test proves "no duplicate, no further attempt" without waiting a fixed time.
 */
export async function queuedDeliveries(queues: Record<WebhookLane, WebhookQueue>): Promise<number> {
  const sizes = await Promise.all(Object.values(queues).map((queue) => queue.size()));
  return sizes.reduce((sum, size) => sum + size, 0);
}
