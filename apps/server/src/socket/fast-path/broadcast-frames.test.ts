import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { type Socket as ClientSocket, io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { endFromClient } from '../../../test/client-fin';
import { writeBroadcastFramesDirectly } from './broadcast-frames';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

/** A plain Socket.IO server with the hook, one websocket client joined to room `r`. */
async function serverAndClient(options: { polling?: boolean } = {}) {
  const httpServer = createServer();
  const io = new Server(httpServer);
  /** Packets that went engine.io's way (the direct path makes none). */
  const packets: string[] = [];
  io.engine.on('connection', (connection) => {
    writeBroadcastFramesDirectly(connection);
    connection.on('packetCreate', (packet: { type: string; data?: string }) => {
      if (packet.type === 'message') packets.push(String(packet.data));
    });
  });
  const joined = once(io, 'connection') as Promise<[ServerSocket]>;
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  const client: ClientSocket = connectClient(`http://127.0.0.1:${port}`, {
    transports: options.polling ? ['polling'] : ['websocket'],
  });
  cleanup.push(() => {
    client.close();
    io.close();
  });
  const [socket] = await joined;
  socket.join('r');
  const received: string[] = [];
  client.onAny((event: string) => received.push(event));
  if (!client.connected)
    await new Promise((resolve) => client.once('connect', () => resolve(null)));
  packets.length = 0; // the namespace's connect packet
  return { io, socket, client, packets, received };
}

describe('writeBroadcastFramesDirectly', () => {
  it('writes a broadcast frame straight to an idle websocket', async () => {
    const { io, packets, received } = await serverAndClient();
    io.to('r').emit('hello');
    io.to('r').emit('again');
    await expect.poll(() => received).toEqual(['hello', 'again']);
    expect(packets).toEqual([]); // neither went through engine.io's queue
  });

  it('keeps order with packets engine.io has queued: behind them, a broadcast takes their path', async () => {
    const { io, socket, packets, received } = await serverAndClient();
    io.to('r').emit('first'); // idle: direct
    socket.emit('own'); // engine.io's path; its write is in flight until the callback
    io.to('r').emit('second'); // the transport is busy: queued behind 'own'
    socket.emit('own-again');
    io.to('r').emit('third');
    await expect.poll(() => received).toEqual(['first', 'own', 'second', 'own-again', 'third']);
    expect(packets.map((data) => JSON.parse(data.slice(1))[0])).toEqual([
      'own',
      'second',
      'own-again',
      'third',
    ]);
  });

  it('leaves a reader whose socket buffer is full to engine.io, in order', async () => {
    const { io, client, packets, received } = await serverAndClient();
    const transport = client.io.engine.transport as unknown as { ws: { _socket: NetSocket } };
    const reading = transport.ws._socket;
    reading.pause(); // the client stops reading: the kernel's buffers, then Node's, fill up
    const count = 400;
    const chunk = 'x'.repeat(64 * 1024); // 25 MiB in all, more than loopback buffers hold
    for (let i = 0; i < count; i++) io.to('r').emit(`m${i}`, chunk);
    expect(packets.length).toBeGreaterThan(0); // past the full buffer, engine.io's path
    expect(packets.length).toBeLessThan(count); // before it, the direct one
    reading.resume();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(count);
    expect(received).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
  });

  it('writes nothing to a websocket its client has ended, and makes no write error of it', async () => {
    const { io, socket, client, packets } = await serverAndClient();
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    // The room still holds the socket as its client's FIN arrives.
    await endFromClient(socket, client, () => {
      io.to('r').emit('too-late');
      socket.emit('own-too-late');
    });
    await expect.poll(() => reasons).toEqual(['transport close']);
    expect(packets).toEqual([]); // neither reached engine.io's queue
  });

  it('leaves long-polling connections to engine.io', async () => {
    const { io, packets, received } = await serverAndClient({ polling: true });
    io.to('r').emit('hello');
    await expect.poll(() => received).toEqual(['hello']);
    expect(packets).toHaveLength(1);
  });
});
