import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectionDifference,
  installedVersions,
  KNOWN_VERSIONS,
  namespacesOf,
  queuedPackets,
  startupDifferences,
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

  it('is pinned to those versions, exactly, for the whole workspace', () => {
    const workspace = readFileSync(
      new URL('../../../../pnpm-workspace.yaml', import.meta.url),
      'utf8',
    );
    const overrides = workspace.slice(workspace.indexOf('\noverrides:'));
    for (const [name, version] of Object.entries(KNOWN_VERSIONS)) {
      const pin = new RegExp(`^  ${name.replaceAll('.', '\\.')}: (.+)$`, 'm').exec(overrides)?.[1];
      const viaCatalog = pin === "'catalog:'" || pin === '"catalog:"';
      expect({ name, pin: viaCatalog ? catalogPin(workspace, name) : pin }).toEqual({
        name,
        pin: version,
      });
    }
  });

  it('notices a version or an adapter it was not written against', () => {
    const io = new Server() as unknown as ParleyIo; // not attached: nothing to close
    expect(startupDifferences(io)).toEqual([]);
    expect(startupDifferences(io, { ...KNOWN_VERSIONS, 'engine.io': '6.7.0' })).toEqual([
      'engine.io 6.7.0 (written for 6.6.12)',
    ]);
    // An adapter that no longer builds a broadcast's frame once for all recipients.
    const plain = { sockets: { adapter: { _encode: () => ['2["probe"]'] } } };
    expect(startupDifferences(plain as unknown as ParleyIo)).toEqual([
      'the Socket.IO adapter does not pre-encode broadcast frames',
    ]);
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
    expect(connectionDifference(connection)).toBeUndefined();
    // A shape that moved is noticed, and named, so the optimisations step aside.
    expect(connectionDifference({ ...connection, writeBuffer: undefined })).toBe(
      'engine.io Socket#writeBuffer is not an array',
    );
    expect(usableConnection({ ...connection, transport: { name: 'websocket' } })).toBe(false);
  });
});

/** A version from the workspace's default catalog. */
function catalogPin(workspace: string, name: string): string | undefined {
  const catalog = workspace.slice(workspace.indexOf('\ncatalog:'));
  return new RegExp(`^  ${name.replaceAll('.', '\\.')}: (.+)$`, 'm').exec(catalog)?.[1];
}
