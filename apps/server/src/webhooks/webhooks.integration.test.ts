import { createHmac, timingSafeEqual } from 'node:crypto';
import { Writable } from 'node:stream';
import { WebhookEvent } from '@parley/protocol';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  connected,
  nextEvent,
  openClient,
  startServer,
  type TestServer,
  testConfig,
} from '../../test/helpers';
import {
  queuedDeliveries,
  startWebhookReceiver,
  typesOf,
  type WebhookReceiver,
} from '../../test/webhook-receiver';
import { createTokenService } from '../auth/tokens';
import { createParleyServer } from '../server';
import { createMemoryStores } from '../stores/memory';

const SECRET = 'whsec-test-0123456789abcdef';

let receiver: WebhookReceiver;
let t: TestServer | undefined;
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  await receiver.close();
});

function webhookEnv(overrides: Record<string, string> = {}) {
  return {
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_TIMEOUT_MS: '1000',
    // These tests join and leave within a second: nothing is held back to be cancelled.
    WEBHOOK_PRESENCE_COALESCE_MS: '0',
    ...overrides,
  };
}

/** What a receiver does: HMAC-SHA256 of the raw body, compared in constant time. */
function signatureValid(body: string, header: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
  const given = Buffer.from(typeof header === 'string' ? header : '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks', () => {
  it('a socket user joining, sending and leaving reaches the receiver: each event once, signed, as the schema says', async () => {
    const stores = createMemoryStores(testConfig().limits);
    t = await startServer(webhookEnv(), { stores });
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));

    await call(ana, 'room:join', { room: 'general' });
    await receiver.waitFor((r) => typesOf(r).length === 2);
    expect(typesOf(receiver.received)).toEqual(['member.joined', 'room.occupied']);

    await call(bo, 'room:join', { room: 'general' }); // a second member: no room.occupied
    const sent = await call(ana, 'message:send', {
      room: 'general',
      text: 'hello hooks',
      clientMsgId: 'm1',
    });
    // A resend answers the original: it was announced already.
    await call(ana, 'message:send', { room: 'general', text: 'hello hooks', clientMsgId: 'm1' });
    await call(ana, 'room:leave', { room: 'general' });
    bo.disconnect();
    await receiver.waitFor((r) => typesOf(r).length === 7);
    // Stopped (it waits for the deliveries in flight, and sends what is due once more) with
    // nothing left queued: the receiver has everything it will ever get.
    await t.close();
    expect(await queuedDeliveries(stores.webhookQueues)).toBe(0);

    expect(typesOf(receiver.received)).toEqual([
      'member.joined',
      'member.joined',
      'member.left',
      'member.left',
      'message.created',
      'room.occupied',
      'room.vacated',
    ]);
    expect(receiver.received).toHaveLength(7); // each delivered once
    const events = receiver.received.map(({ body, headers }) => {
      expect(headers['content-type']).toBe('application/json');
      expect(signatureValid(body, headers['x-parley-signature'])).toBe(true);
      expect(signatureValid(body.replace('acme', 'acmf'), headers['x-parley-signature'])).toBe(
        false,
      );
      const event = WebhookEvent.parse(JSON.parse(body));
      expect(headers['x-parley-event']).toBe(event.type);
      expect(headers['x-parley-event-id']).toBe(event.id);
      expect(event.workspace).toBe('acme');
      expect(Date.now() - Date.parse(event.createdAt)).toBeLessThan(10_000);
      return event;
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(7);
    const byType = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
    expect(byType('room.occupied')).toEqual([{ room: 'general' }]);
    expect(byType('member.joined')).toEqual([
      { room: 'general', member: { id: 'ana', name: 'Ana' } },
      { room: 'general', member: { id: 'bo', name: 'Bo' } },
    ]);
    expect(byType('message.created')).toEqual([{ room: 'general', message: sent.message }]);
    expect(byType('member.left')).toEqual(
      expect.arrayContaining([
        { room: 'general', member: { id: 'ana', name: 'Ana' } },
        { room: 'general', member: { id: 'bo', name: 'Bo' } },
      ]),
    );
    expect(byType('room.vacated')).toEqual([{ room: 'general' }]);
    // room.vacated was queued only after the last member.left.
    const vacatedAt = events.findIndex((e) => e.type === 'room.vacated');
    expect(events.findIndex((e) => e.type === 'member.left')).toBeLessThan(vacatedAt);
  });

  it('retries after the receiver fails twice (500, then a dropped connection); sockets never wait for it', async () => {
    receiver.answer = (request, before) => {
      if (request.json.type !== 'message.created') return 200;
      return before === 0 ? 500 : before === 1 ? 'drop' : 200;
    };
    const stores = createMemoryStores(testConfig().limits);
    t = await startServer(webhookEnv(), { stores });
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });

    const atBo = nextEvent(bo, 'message:new');
    const sent = await call(ana, 'message:send', { room: 'general', text: 'hi', clientMsgId: 'r' });
    const ackedAt = Date.now();
    await atBo;
    const created = () => receiver.received.filter((r) => r.json.type === 'message.created');
    await receiver.waitFor(() => created().length === 3);
    // Delivered, so no fourth attempt: once the server has stopped with nothing left queued,
    // none can come.
    await t.close();
    expect(await queuedDeliveries(stores.webhookQueues)).toBe(0);
    const attempts = created();
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.json.id)).size).toBe(1);
    expect(attempts.map((a) => (a.json.data as { message: { id: string } }).message.id)).toEqual([
      sent.message.id,
      sent.message.id,
      sent.message.id,
    ]);
    expect(ackedAt).toBeLessThan(attempts[2]?.at ?? 0);
    // Backoff: 50 ms then 100 ms, each ±25%.
    const gaps = [1, 2].map((i) => (attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(70);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS with an error log; a receiver that never answers times out', async () => {
    receiver.answer = (request, before) =>
      request.json.type !== 'message.created' ? 200 : before === 0 ? 'hang' : 503;
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const timeoutMs = 1000;
    const config = testConfig(
      webhookEnv({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: String(timeoutMs) }),
    );
    const stores = createMemoryStores(config.limits);
    const server = createParleyServer(config, { logger, stores });
    const url = await server.listen();
    const tokens = createTokenService(config.auth.secret);
    const ana = openClient(
      url,
      'acme',
      (await tokens.issue({ sub: 'ana', name: 'Ana', workspaces: '*', ttlSeconds: 60 })).token,
    );
    try {
      await connected(ana);
      await call(ana, 'room:join', { room: 'general' });
      const startedAt = Date.now();
      await call(ana, 'message:send', { room: 'general', text: 'x', clientMsgId: 'x' });
      // Not held up by the hanging receiver: answered before its attempt could even time out
      // (a send that waited for it would take the whole timeout; this one takes milliseconds).
      expect(Date.now() - startedAt).toBeLessThan(timeoutMs);
      const created = () => receiver.received.filter((r) => r.json.type === 'message.created');
      await receiver.waitFor(() => created().length === 3, 3 * timeoutMs);
      const givenUp = () => lines.filter((line) => line.includes('webhook delivery given up'));
      await expect.poll(() => givenUp().length, { timeout: 5000 }).toBeGreaterThan(0);
      // Given up: once the server has stopped with nothing left queued, no fourth attempt.
      await server.close();
      expect(await queuedDeliveries(stores.webhookQueues)).toBe(0);
      expect(created()).toHaveLength(3);
      expect(JSON.parse(givenUp()[0] ?? '{}')).toMatchObject({
        level: 50,
        type: 'message.created',
        attempt: 3,
        reason: 'answered 503',
      });
      const failures = lines.map((line) => JSON.parse(line)).filter((l) => l.attempt === 1);
      expect(failures[0]).toMatchObject({ reason: `no answer within ${timeoutMs} ms` });
    } finally {
      ana.close();
      await server.close();
    }
  });

  it('announces a message published through the server API, with its integration author', async () => {
    const key = 'k'.repeat(32);
    const stores = createMemoryStores(testConfig().limits);
    t = await startServer(webhookEnv({ PARLEY_API_KEYS: `backend:${key}` }), { stores });
    const response = await fetch(`${t.url}/api/v1/workspaces/acme/rooms/deploys/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'v1.2 is live', author: { name: 'CI' } }),
    });
    expect(response.status).toBe(201);
    const { message } = (await response.json()) as { message: unknown };
    await receiver.waitFor((r) => r.length === 1);
    await t.close(); // stopped with nothing left queued: no second delivery can come
    expect(await queuedDeliveries(stores.webhookQueues)).toBe(0);
    expect(receiver.received).toHaveLength(1);
    const event = WebhookEvent.parse(receiver.received[0]?.json);
    expect(event).toMatchObject({ type: 'message.created', workspace: 'acme' });
    expect(event.data).toEqual({ room: 'deploys', message });
    expect(event.type === 'message.created' && event.data.message.author.kind).toBe('integration');
  });

  it('announces edits, deletions (by the author or a moderator) and removals with who did them; a repeat announces nothing', async () => {
    const config = testConfig(webhookEnv());
    const stores = createMemoryStores(config.limits);
    // Queued at the moment of emit, before the call's ack: what is recorded after an ack is final.
    const queued: string[] = [];
    for (const queue of Object.values(stores.webhookQueues)) {
      const enqueue = queue.enqueue.bind(queue);
      queue.enqueue = (deliveries) => {
        queued.push(...deliveries.map((d) => d.eventType));
        return enqueue(deliveries);
      };
    }
    const server = createParleyServer(config, { stores });
    const url = await server.listen();
    const tokens = createTokenService(config.auth.secret);
    const open = async (sub: string, name: string) => {
      const token = (await tokens.issue({ sub, name, workspaces: '*', ttlSeconds: 60 })).token;
      const socket = openClient(url, 'acme', token);
      await connected(socket);
      return socket;
    };
    const ana = await open('ana', 'Ana');
    const bo = await open('bo', 'Bo');
    try {
      await call(ana, 'room:create', { room: 'core', visibility: 'private' });
      await call(ana, 'member:add', { room: 'core', userId: 'bo' });
      await call(ana, 'room:join', { room: 'core' });
      await call(bo, 'room:join', { room: 'core' });
      const sent = await call(bo, 'message:send', {
        room: 'core',
        text: 'draft',
        clientMsgId: 'd1',
      });
      const target = { room: 'core', seq: sent.message.seq, id: sent.message.id };
      const changes = () => queued.filter((type) => /^message\.(updated|deleted)$/.test(type));

      await call(bo, 'message:edit', { ...target, text: 'final' });
      expect(changes()).toEqual(['message.updated']);
      await call(bo, 'message:edit', { ...target, text: 'final' }); // the same text: no change
      await call(ana, 'message:delete', target);
      await call(ana, 'message:delete', target); // already a tombstone
      expect(changes()).toEqual(['message.updated', 'message.deleted']);
      await call(ana, 'member:remove', { room: 'core', userId: 'bo', banSeconds: 60 });
      expect(queued.filter((type) => type === 'member.removed')).toHaveLength(1);

      const wanted = ['message.updated', 'message.deleted', 'member.removed'];
      const received = () =>
        receiver.received
          .map((r) => WebhookEvent.parse(r.json))
          .filter((e) => wanted.includes(e.type));
      await receiver.waitFor(() => received().length === 3);
      const byType = new Map(received().map((e) => [e.type, e] as const));
      expect(byType.get('message.updated')?.data).toMatchObject({
        room: 'core',
        message: { seq: sent.message.seq, id: sent.message.id, text: 'final' },
        by: { id: 'bo', name: 'Bo' },
      });
      const updated = byType.get('message.updated');
      expect(updated?.type === 'message.updated' && updated.data.message.editedAt).toBeTruthy();
      expect(byType.get('message.deleted')?.data).toMatchObject({
        room: 'core',
        message: { seq: sent.message.seq, id: sent.message.id, text: '', deleted: true },
        by: { id: 'ana', name: 'Ana' },
      });
      const removed = byType.get('member.removed');
      expect(removed?.data).toMatchObject({
        room: 'core',
        member: { id: 'bo' },
        by: { id: 'ana', name: 'Ana' },
      });
      const bannedUntil = removed?.type === 'member.removed' ? removed.data.bannedUntil : '';
      expect(Date.parse(bannedUntil ?? '') - Date.now()).toBeGreaterThan(50_000);
    } finally {
      ana.close();
      bo.close();
      await server.close();
    }
  });

  it('shutdown in memory sends what is due once more, then logs what is lost', async () => {
    receiver.answer = (request) => (request.json.type === 'member.left' ? 503 : 200);
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const config = testConfig(webhookEnv());
    const server = createParleyServer(config, { logger });
    const url = await server.listen();
    const tokens = createTokenService(config.auth.secret);
    const ana = openClient(
      url,
      'acme',
      (await tokens.issue({ sub: 'ana', name: 'Ana', workspaces: '*', ttlSeconds: 60 })).token,
    );
    await connected(ana);
    await call(ana, 'room:join', { room: 'general' });
    await receiver.waitFor((r) => typesOf(r).length === 2);
    // Closing disconnects Ana: her departure is queued and sent before close() resolves.
    await server.close();
    ana.close();
    expect(typesOf(receiver.received)).toEqual([
      'member.joined',
      'member.left',
      'room.occupied',
      'room.vacated',
    ]);
    const lost = lines.map((line) => JSON.parse(line)).find((l) => /lost/.test(l.msg));
    expect(lost).toMatchObject({ level: 40, pending: 1 });
  });

  it('are off without WEBHOOK_URLS: nothing is queued', async () => {
    const config = testConfig();
    const stores = createMemoryStores(config.limits);
    const server = createParleyServer(config, { stores });
    const url = await server.listen();
    const tokens = createTokenService(config.auth.secret);
    const ana = openClient(
      url,
      'acme',
      (await tokens.issue({ sub: 'ana', name: 'Ana', workspaces: '*', ttlSeconds: 60 })).token,
    );
    try {
      await connected(ana);
      await call(ana, 'room:join', { room: 'general' });
      await call(ana, 'message:send', { room: 'general', text: 'x', clientMsgId: 'x' });
      expect(await stores.webhookQueues.messages.size()).toBe(0);
      // Nor is occupancy tracked for nobody: the room is still unmarked.
      expect(await stores.occupancy.mark({ workspace: 'acme', room: 'general' }, true)).toBe(true);
    } finally {
      ana.close();
      await server.close();
    }
    expect(receiver.received).toEqual([]);
  });
});
