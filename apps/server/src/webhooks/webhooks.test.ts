import { WebhookEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/logs';
import { createMemoryWebhookQueue } from '../stores/memory/webhook-queue';
import type { WebhookQueue } from '../stores/types';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './backoff';
import { createWebhookEmitter } from './emitter';
import { createPresenceFilter } from './presence-filter';
import { signBody, verifySignature } from './signature';

describe('retry delays', () => {
  it('double from the base, are capped at five minutes, and spread ±25%', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, middle))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(retryDelayMs(30, 1000, middle)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(1, 1000, () => 0)).toBe(750);
    expect(retryDelayMs(1, 1000, () => 0.999_999)).toBe(1250);
  });
});

describe('signatures', () => {
  it('verify the exact body with the same secret only', () => {
    const body = '{"id":"evt_1","type":"room.occupied"}';
    const header = signBody(body, 'secret-one-0123456789');
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(body, header, 'secret-one-0123456789')).toBe(true);
    expect(verifySignature(`${body} `, header, 'secret-one-0123456789')).toBe(false);
    expect(verifySignature(body, header, 'secret-two-0123456789')).toBe(false);
    expect(verifySignature(body, undefined, 'secret-one-0123456789')).toBe(false);
    expect(verifySignature(body, 'sha256=00', 'secret-one-0123456789')).toBe(false);
  });
});

/** Both lanes on one queue, and a presence filter that lets everything through at once. */
function lanes(queue: WebhookQueue) {
  return {
    queues: { messages: queue, presence: queue },
    presence: createPresenceFilter({ coalesceMs: 0, perUserPerMinute: 1_000_000 }),
  };
}

describe('the emitter', () => {
  it('queues one delivery per endpoint with a schema-valid event, and says it did', async () => {
    const queue = createMemoryWebhookQueue({ capacity: 10 });
    const { logger } = capturingLogger();
    let queued = 0;
    const tracked: Promise<unknown>[] = [];
    const emitter = createWebhookEmitter({
      ...lanes(queue),
      urls: ['http://127.0.0.1:1/a', 'http://127.0.0.1:1/b'],
      log: logger,
      track: (work) => tracked.push(work),
      queued: () => queued++,
    });
    emitter.emit('room.occupied', 'acme', { room: 'general' });
    await Promise.all(tracked);
    expect(queued).toBe(1);
    const { claimed } = await queue.claim({ max: 10, leaseMs: 1000, maxAttempts: 3 });
    expect(claimed.map((d) => d.url)).toEqual(['http://127.0.0.1:1/a', 'http://127.0.0.1:1/b']);
    const [a, b] = claimed;
    expect(a?.body).toBe(b?.body);
    expect(a?.id).not.toBe(b?.id);
    const event = WebhookEvent.parse(JSON.parse(a?.body ?? ''));
    expect(event).toMatchObject({ type: 'room.occupied', workspace: 'acme', id: a?.eventId });
  });

  it('drops what a full queue cannot take, logging loudly but not once per event', async () => {
    const queue = createMemoryWebhookQueue({ capacity: 2 });
    const { logger, lines } = capturingLogger();
    const tracked: Promise<unknown>[] = [];
    const emitter = createWebhookEmitter({
      ...lanes(queue),
      urls: ['http://127.0.0.1:1/a'],
      log: logger,
      track: (work) => tracked.push(work),
      queued: () => {},
    });
    for (let i = 0; i < 5; i++) emitter.emit('room.vacated', 'acme', { room: `r${i}` });
    await Promise.all(tracked);
    expect(await queue.size()).toBe(2);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: expect.stringMatching(/queue full/),
      type: 'room.vacated',
    });
    expect(emitter.counts).toMatchObject({ queued: 2, droppedQueueFull: 3 });
  });

  it('keeps message events in a lane of their own, which presence events cannot fill', async () => {
    const messages = createMemoryWebhookQueue({ capacity: 3 });
    const presence = createMemoryWebhookQueue({ capacity: 3 });
    const tracked: Promise<unknown>[] = [];
    const emitter = createWebhookEmitter({
      queues: { messages, presence },
      presence: createPresenceFilter({ coalesceMs: 0, perUserPerMinute: 1_000_000 }),
      urls: ['http://127.0.0.1:1/a'],
      log: capturingLogger().logger,
      track: (work) => tracked.push(work),
      queued: () => {},
    });
    for (let i = 0; i < 50; i++) {
      emitter.emit('member.joined', 'acme', { room: `r${i}`, member: { id: 'u', name: 'U' } }, 'u');
    }
    const message = {
      id: 'm1',
      room: 'r0',
      seq: 1,
      author: { id: 'u', name: 'U' },
      text: 'hi',
      sentAt: new Date().toISOString(),
    };
    emitter.emit('message.created', 'acme', { room: 'r0', message });
    await Promise.all(tracked);
    expect(await presence.size()).toBe(3);
    expect(await messages.size()).toBe(1);
    expect(emitter.counts.droppedQueueFull).toBe(47);
  });

  it('never throws when the queue cannot be reached: the loss is logged', async () => {
    const unreachable: WebhookQueue = {
      ...createMemoryWebhookQueue({ capacity: 10 }),
      enqueue: () => Promise.reject(new Error('Redis is unreachable')),
    };
    const { logger, lines } = capturingLogger();
    const tracked: Promise<unknown>[] = [];
    const emitter = createWebhookEmitter({
      ...lanes(unreachable),
      urls: ['http://127.0.0.1:1/a'],
      log: logger,
      track: (work) => tracked.push(work),
      queued: () => {},
    });
    expect(() => emitter.emit('room.occupied', 'acme', { room: 'general' })).not.toThrow();
    await Promise.all(tracked);
    expect(lines).toMatchObject([{ level: 50, msg: expect.stringMatching(/lost/) }]);
  });
});
