import type { Socket as NetSocket } from 'node:net';
import type { ChatSocket } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { call, collect, nextEvent, settle, startServer, type TestServer } from '../../test/helpers';
import { sampleValue, scrape } from '../../test/metrics';

let t: TestServer;
afterEach(() => t.close());

/** The client's own TCP socket: pausing it makes the client stop reading, as a stalled app does. */
function tcpOf(socket: ChatSocket): NetSocket {
  return (socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
}

describe('a client that stops reading', () => {
  it('is closed past the buffer cap with a reason it sees once it reads, and nobody else waits for it', async () => {
    t = await startServer({
      MAX_BUFFERED_BYTES: String(256 * 1024),
      RATE_EVENTS_PER_SECOND: '100000',
      RATE_EVENTS_BURST: '100000',
    });
    const join = async (name: string) => {
      const socket = await t.connect('acme', await t.token(name, { sub: name.toLowerCase() }));
      await call(socket, 'room:join', { room: 'general' });
      return socket;
    };
    const slow = await join('Slow');
    const healthy = await join('Healthy');
    const sender = await join('Sender');
    const slowLeft = nextEvent(healthy, 'presence:left', (e) => e.member.id === 'slow', 30_000);
    let left = false;
    void slowLeft.then(() => {
      left = true;
    });
    const received = collect(healthy, 'message:new');
    const latencies: number[] = [];
    healthy.on('message:new', (message) => latencies.push(Date.now() - Date.parse(message.sentAt)));
    const slowClosing = nextEvent(slow, 'connection:closing', () => true, 30_000);

    tcpOf(slow).pause();
    const text = 'x'.repeat(4000);
    let sent = 0;
    // What the operator sees while it happens: the bytes waiting for the largest reader, scraped
    // between sends (the largest is the slow one: the others read everything).
    let largestSeen = 0;
    // Until the server gives up on the slow reader: a bounded number, far past any socket buffer.
    while (!left && sent < 6000) {
      await call(sender, 'message:send', { room: 'general', text, clientMsgId: `m${sent}` });
      sent++;
      if (sent % 20 === 0 && !left) {
        const samples = await scrape(t.url);
        const largest = sampleValue(samples, 'parley_waiting_bytes', { of: 'largest' });
        expect(sampleValue(samples, 'parley_waiting_bytes', { of: 'all' })).toBeGreaterThanOrEqual(
          largest,
        );
        largestSeen = Math.max(largestSeen, largest);
      }
    }
    await slowLeft;
    expect(sent).toBeLessThan(6000);
    // It rose past a quarter of the cap before the cut (the cap is checked every 32 packets).
    expect(largestSeen).toBeGreaterThan(64 * 1024);
    const after = await scrape(t.url);
    expect(sampleValue(after, 'parley_slow_reader_disconnects_total')).toBe(1);

    // Everyone else got every message, in order, while it happened.
    await settle(healthy);
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.floor(latencies.length * 0.99)];
    console.info(`slow reader cut after ${sent} messages; healthy reader p99 ${p99} ms`);

    // Once it reads again, it learns why, then the connection ends.
    tcpOf(slow).resume();
    expect(await slowClosing).toMatchObject({ reason: 'slow_reader' });
    await expect.poll(() => slow.connected, { timeout: 15_000 }).toBe(false);
  }, 60_000);
});
