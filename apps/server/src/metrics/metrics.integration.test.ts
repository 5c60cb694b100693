import { ClientEvent, ServerEvent } from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  disconnectHandled,
  nextEvent,
  startServer,
  type TestServer,
} from '../../test/helpers';
import { parseMetrics, sampleValue, scrape } from '../../test/metrics';
import { startRedis, uniquePrefix } from '../../test/redis';

const API_KEY = 'backend-key-0123456789abcdefghij';
const METRICS_KEY = 'metrics-key-0123456789abcdef';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('/metrics', () => {
  it('counts exactly what a scripted session did', async () => {
    t = await startServer({
      PARLEY_API_KEYS: `backend:${API_KEY}`,
      RATE_MESSAGES_PER_SECOND: '1',
      RATE_MESSAGES_BURST: '5',
    });
    const alice = await t.connect('acme', await t.token('Alice'));
    const bob = await t.connect('acme', await t.token('Bob'));
    await call(alice, ClientEvent.RoomJoin, { room: 'general' });
    await call(bob, ClientEvent.RoomJoin, { room: 'general' });

    for (let i = 0; i < 5; i++) {
      const heard = nextEvent(bob, ServerEvent.MessageNew, (message) => message.text === `m${i}`);
      await call(alice, ClientEvent.MessageSend, {
        room: 'general',
        text: `m${i}`,
        clientMsgId: `c${i}`,
      });
      await heard;
    }
    const invalid = await request(alice, ClientEvent.MessageSend, { room: 'general' } as never);
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    const limited = await request(alice, ClientEvent.MessageSend, {
      room: 'general',
      text: 'one too many',
      clientMsgId: 'c5',
    });
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    const heardBoth = [alice, bob].map((socket) =>
      nextEvent(socket, ServerEvent.MessageNew, (message) => message.text === 'from the API'),
    );
    const published = await fetch(`${t.url}/api/v1/workspaces/acme/rooms/general/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the API', author: { id: 'bot', name: 'Bot' } }),
    });
    expect(published.status).toBe(201);
    await Promise.all(heardBoth);

    const samples = await scrape(t.url);
    const value = (name: string, labels?: Record<string, string>) =>
      sampleValue(samples, name, labels);

    expect(value('parley_connections', { transport: 'websocket' })).toBe(2);
    expect(value('parley_connections', { transport: 'polling' })).toBe(0);
    expect(value('parley_rooms_active')).toBe(1);
    expect(value('parley_handshakes_total', { stage: 'engine', code: 'ok' })).toBe(2);
    expect(value('parley_handshakes_total', { stage: 'workspace', code: 'ok' })).toBe(2);

    expect(value('parley_events_received_total', { event: 'room:join' })).toBe(2);
    expect(value('parley_events_received_total', { event: 'message:send' })).toBe(7);
    expect(value('parley_acks_total', { event: 'room:join', code: 'ok' })).toBe(2);
    expect(value('parley_acks_total', { event: 'message:send', code: 'ok' })).toBe(5);
    expect(value('parley_acks_total', { event: 'message:send', code: 'invalid_payload' })).toBe(1);
    expect(value('parley_acks_total', { event: 'message:send', code: 'rate_limited' })).toBe(1);
    expect(value('parley_ack_duration_seconds_count', { event: 'message:send' })).toBe(7);
    expect(value('parley_ack_duration_seconds_bucket', { event: 'message:send', le: '+Inf' })).toBe(
      7,
    );
    expect(value('parley_rate_limited_total', { kind: 'messages' })).toBe(1);
    expect(value('parley_rate_limited_total', { kind: 'events' })).toBe(0);

    // Five from Alice (heard by Bob alone) and one from the API (heard by both).
    expect(value('parley_messages_stored_total')).toBe(6);
    expect(value('parley_broadcast_fanout_count')).toBe(6);
    expect(value('parley_broadcast_fanout_sum')).toBe(7);
    expect(value('parley_broadcast_fanout_bucket', { le: '1' })).toBe(5);

    const route = '/api/v1/workspaces/{workspace}/rooms/{room}/messages';
    expect(value('parley_http_requests_total', { route, method: 'POST', status: '201' })).toBe(1);
    expect(value('parley_slow_reader_disconnects_total')).toBe(0);
    expect(value('parley_store_unavailable_total')).toBe(0);
    expect(value('parley_store_last_unavailable_timestamp_seconds')).toBe(0);
    expect(value('parley_webhook_backlog', { lane: 'messages' })).toBe(0);

    // Node's own, on this server's registry.
    expect(samples.some((sample) => sample.name === 'parley_nodejs_eventloop_lag_seconds')).toBe(
      true,
    );
    expect(samples.some((sample) => sample.name === 'parley_process_resident_memory_bytes')).toBe(
      true,
    );

    // The scrape itself is counted by the next one.
    const again = await scrape(t.url);
    expect(
      sampleValue(again, 'parley_http_requests_total', {
        route: '/metrics',
        method: 'GET',
        status: '200',
      }),
    ).toBe(1);
  });

  it('counts refused handshakes by stage and code', async () => {
    t = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '1' });
    await t.connect('acme', await t.token('Alice'));
    await expect(t.connect('acme', await t.token('Bob'))).rejects.toThrow();
    await expect(t.connect('acme', await t.token('Carol'))).rejects.toThrow();
    let samples = await scrape(t.url);
    expect(sampleValue(samples, 'parley_handshakes_total', { stage: 'engine', code: 'ok' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'parley_handshakes_total', { stage: 'engine', code: 'rate_limited' }),
    ).toBe(2);
    expect(sampleValue(samples, 'parley_rate_limited_total', { kind: 'connections' })).toBe(2);
    await t.close();

    t = await startServer();
    await expect(
      t.connect('other', await t.token('Eve', { workspaces: ['acme'] })),
    ).rejects.toThrow(/does not allow/);
    samples = await scrape(t.url);
    expect(sampleValue(samples, 'parley_handshakes_total', { stage: 'engine', code: 'ok' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'parley_handshakes_total', { stage: 'workspace', code: 'forbidden' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'parley_handshakes_total', { stage: 'workspace', code: 'ok' }),
    ).toBe(0);
  });

  it('counts sockets, their room joins and distinct users as they are now', async () => {
    t = await startServer();
    const alice = await t.token('Alice', { sub: 'alice', workspaces: '*' });
    const tab1 = await t.connect('acme', alice);
    const tab2 = await t.connect('acme', alice);
    const elsewhere = await t.connect('beta', alice);
    const bob = await t.connect('acme', await t.token('Bob', { sub: 'bob' }));
    await call(tab1, ClientEvent.RoomJoin, { room: 'general' });
    await call(tab2, ClientEvent.RoomJoin, { room: 'general' });
    await call(tab2, ClientEvent.RoomJoin, { room: 'random' });
    await call(elsewhere, ClientEvent.RoomJoin, { room: 'general' });
    await call(bob, ClientEvent.RoomList, {}); // a lobby: in no chat room
    let samples = await scrape(t.url);
    expect(sampleValue(samples, 'parley_sockets')).toBe(4);
    expect(sampleValue(samples, 'parley_room_joins')).toBe(4);
    expect(sampleValue(samples, 'parley_users_connected')).toBe(3);
    expect(sampleValue(samples, 'parley_rooms_active')).toBe(3);
    // Every join answered: none running, none waiting.
    expect(sampleValue(samples, 'parley_joins', { state: 'running' })).toBe(0);
    expect(sampleValue(samples, 'parley_joins', { state: 'waiting' })).toBe(0);
    expect(samples.some((sample) => sample.name === 'parley_joins')).toBe(true);

    await call(tab2, ClientEvent.RoomLeave, { room: 'random' });
    await disconnectHandled(t, elsewhere);
    samples = await scrape(t.url);
    expect(sampleValue(samples, 'parley_sockets')).toBe(3);
    expect(sampleValue(samples, 'parley_room_joins')).toBe(2);
    expect(sampleValue(samples, 'parley_users_connected')).toBe(2);
  });

  it('needs the key when METRICS_KEY is set: 401 without it or with another', async () => {
    t = await startServer({ METRICS_KEY });
    const url = `${t.url}/metrics`;
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await without.json()) as unknown).toMatchObject({ error: { code: 'unauthorized' } });
    for (const authorization of [
      `Bearer ${METRICS_KEY}x`,
      `Bearer ${METRICS_KEY.slice(1)}`,
      `Basic ${METRICS_KEY}`,
      METRICS_KEY,
      'Bearer ',
    ]) {
      expect((await fetch(url, { headers: { authorization } })).status).toBe(401);
    }
    const answer = await fetch(url, { headers: { authorization: `Bearer ${METRICS_KEY}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(parseMetrics(await answer.text()).length).toBeGreaterThan(0);
  });

  it('is not served with METRICS=false', async () => {
    t = await startServer({ METRICS: 'false' });
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
  });

  it('is served on its own port with METRICS_PORT, and not on the public one', async () => {
    t = await startServer({ METRICS_PORT: '0', METRICS_KEY });
    const own = t.server.metricsUrl();
    expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(own).not.toBe(t.url);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(404);
    // Only /metrics there, behind the same key: nothing of the chat or the API.
    expect((await fetch(`${own}/metrics`)).status).toBe(401);
    for (const path of ['/healthz', '/api/v1/session', '/socket.io/?EIO=4&transport=polling']) {
      expect((await fetch(`${own}${path}`)).status, path).toBe(404);
    }
    const answer = await fetch(`${own}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_KEY}` },
    });
    expect(answer.status).toBe(200);
    const samples = parseMetrics(await answer.text());
    expect(samples.some((sample) => sample.name === 'parley_connections')).toBe(true);
    await t.close();
    t = undefined;
    // Closed with the server.
    await expect(fetch(`${own}/metrics`)).rejects.toThrow();
  });

  it('times every Redis store call by store, and counts announcements delivered or skipped', async () => {
    const redis = await startRedis();
    try {
      t = await startServer({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix() });
      const ana = await t.connect('acme', await t.token('Ana'));
      const bo = await t.connect('acme', await t.token('Bo'));
      await call(ana, ClientEvent.RoomJoin, { room: 'general' });
      await call(bo, ClientEvent.RoomJoin, { room: 'general' });
      await call(ana, ClientEvent.RoomJoin, { room: 'quiet' });
      const heard = nextEvent(bo, ServerEvent.MessageNew, (message) => message.text === 'hi');
      await call(ana, ClientEvent.MessageSend, { room: 'general', text: 'hi', clientMsgId: 'h1' });
      await heard;
      // A room with no socket on this node once Ana leaves it: its announcement is skipped.
      await call(ana, ClientEvent.RoomLeave, { room: 'quiet' });
      const samples = await scrape(t.url);
      const count = (store: string) =>
        sampleValue(samples, 'parley_store_call_duration_seconds_count', { store });
      expect(count('history')).toBeGreaterThanOrEqual(1);
      expect(count('presence')).toBeGreaterThanOrEqual(3);
      expect(sampleValue(samples, 'parley_announcements_total', { outcome: 'delivered' })).toBe(1);
      // Nothing waits for these readers: both keep up.
      expect(sampleValue(samples, 'parley_waiting_bytes', { of: 'all' })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(samples, 'parley_waiting_bytes', { of: 'largest' })).toBeLessThanOrEqual(
        sampleValue(samples, 'parley_waiting_bytes', { of: 'all' }),
      );
      const utilization = sampleValue(samples, 'parley_event_loop_utilization');
      expect(utilization).toBeGreaterThan(0);
      expect(utilization).toBeLessThanOrEqual(1);
      const stores = new Set(
        samples
          .filter((sample) => sample.name === 'parley_store_call_duration_seconds_count')
          .map((sample) => sample.labels.store),
      );
      // Store names only: never a room, user or key.
      for (const store of stores) expect(store).toMatch(/^[a-z.-]+( rate)?$/i);
    } finally {
      await t?.close();
      t = undefined;
      await redis.stop();
    }
  });
});
