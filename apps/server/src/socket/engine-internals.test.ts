import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  installedVersions,
  KNOWN_VERSIONS,
  namespacesOf,
  queuedPackets,
  tcpSocketOf,
  usableConnection,
} from './engine-internals';
import type { ParleyIo } from './types';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

describe('the fence around Socket.IO, engine.io and ws internals', () => {
  // An upgrade of any of these must be a decision: read engine-internals.ts against the new
  // version, then update KNOWN_VERSIONS and the pins in pnpm-workspace.yaml together.
  it('runs on exactly the versions it was written against', () => {
    expect(installedVersions()).toEqual(KNOWN_VERSIONS);
  });

  it('reads what it expects on a live websocket connection', async () => {
    const httpServer = createServer();
    const io = new Server(httpServer) as unknown as ParleyIo;
    const connections: unknown[] = [];
    io.engine.on('connection', (connection: unknown) => connections.push(connection));
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as AddressInfo;
    const client = connectClient(`http://127.0.0.1:${port}/chat/acme`, {
      transports: ['websocket'],
    });
    io.of('/chat/acme');
    cleanup.push(() => {
      client.close();
      io.close();
    });
    await new Promise((resolve) => client.once('connect', () => resolve(null)));
    const [connection] = connections;
    expect(usableConnection(connection)).toBe(true);
    if (!usableConnection(connection)) return;
    expect(queuedPackets(connection)).toBe(0);
    expect(tcpSocketOf(connection.transport)?.writable).toBe(true);
    expect(namespacesOf(io).of('acme')?.name).toBe('/chat/acme');
    expect([...namespacesOf(io).all()].map((n) => n.name)).toContain('/chat/acme');
    // A shape that moved is noticed, so the optimisations step aside.
    expect(usableConnection({ ...connection, writeBuffer: undefined })).toBe(false);
    expect(usableConnection({ ...connection, transport: { name: 'websocket' } })).toBe(false);
  });
});
