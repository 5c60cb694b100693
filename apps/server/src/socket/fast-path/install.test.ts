import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { type Socket as ClientSocket, io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { endFromClient } from '../../../test/client-fin';
import { capturingLogger } from '../../../test/logs';
import { type InstalledVersions, KNOWN_VERSIONS } from '../engine-internals';
import type { ParleyIo } from '../types';
import { type FastPathOptions, installFastPath } from '.';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

/** A plain Socket.IO server with the fast path installed, one websocket client in room `r`. */
async function serverWithFastPath(options: FastPathOptions) {
  const httpServer = createServer();
  const io = new Server(httpServer);
  const { logger, lines } = capturingLogger();
  const fastPath = installFastPath(io as unknown as ParleyIo, options, logger);
  const joined = once(io, 'connection') as Promise<[ServerSocket]>;
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  const client: ClientSocket = connectClient(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
  });
  cleanup.push(() => {
    client.close();
    io.close();
  });
  const [socket] = await joined;
  socket.join('r');
  const received: string[] = [];
  client.onAny((event: string) => received.push(event));
  const broadcast = async () => {
    io.to('r').emit('hello');
    io.to('r').emit('again');
    await expect.poll(() => received.slice(-2)).toEqual(['hello', 'again']);
  };
  return { io, socket, client, fastPath, lines, broadcast };
}

const warnings = (lines: { level: number; msg: string }[]) =>
  lines.filter((line) => line.level === 40);

describe('installFastPath', () => {
  it.each([
    { enabled: true, path: 'the fast path' },
    { enabled: false, path: "Socket.IO's own path (FAST_PATH=false)" },
  ])('writes nothing to a websocket its client has ended, on $path', async ({ enabled }) => {
    const { io, socket, client } = await serverWithFastPath({ enabled });
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    await endFromClient(socket, client, () => io.to('r').emit('too-late'));
    // A write would have failed ('write after end') and closed it as a transport error.
    await expect.poll(() => reasons).toEqual(['transport close']);
  });

  it('is on when it finds what it was written against, and counts what it does', async () => {
    const { fastPath, lines, broadcast } = await serverWithFastPath({ enabled: true });
    expect(fastPath.enabled).toBe(true);
    await broadcast();
    expect(fastPath.stats()).toMatchObject({ connections: 1, directFrames: 2 });
    expect(warnings(lines)).toEqual([]);
  });

  it('steps aside, warning once with what differs, when an upgrade changed a version', async () => {
    const versions: InstalledVersions = { ...KNOWN_VERSIONS, ws: '8.22.0' };
    const { fastPath, lines, broadcast } = await serverWithFastPath({ enabled: true, versions });
    expect(fastPath.enabled).toBe(false);
    await broadcast(); // delivered all the same, by Socket.IO
    expect(fastPath.stats()).toEqual({
      connections: 0,
      directFrames: 0,
      heldWrites: 0,
      batches: 0,
    });
    expect(warnings(lines)).toHaveLength(1);
    expect(warnings(lines)[0]).toMatchObject({ differences: ['ws 8.22.0 (written for 8.21.3)'] });
    expect(warnings(lines)[0]?.msg).toMatch(/fast path is off/);
  });

  it('stays off when the config turns it off, saying so without a warning', async () => {
    const { fastPath, lines, broadcast } = await serverWithFastPath({ enabled: false });
    expect(fastPath.enabled).toBe(false);
    await broadcast();
    expect(fastPath.stats().directFrames).toBe(0);
    expect(warnings(lines)).toEqual([]);
    expect(lines.map((line) => line.msg)).toContain(
      "fast path off (FAST_PATH=false): Socket.IO's own paths",
    );
  });

  it('still asks the slow-reader cap before a packet waits, when off', async () => {
    const asked: unknown[] = [];
    const { broadcast } = await serverWithFastPath({
      enabled: false,
      mayQueue: (connection) => asked.push(connection) > 0,
    });
    await broadcast();
    expect(asked.length).toBeGreaterThanOrEqual(2);
  });
});
