import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupOnlyWhenIdle,
  connectionDifference,
  emptyHandshakeRequest,
  installedVersions,
  KNOWN_VERSIONS,
  listenToEveryEvent,
  namespacesOf,
  onConnectionClose,
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

  it('empties the handshake request: sockets still connect, upgrade from polling, and share one empty handshake', async () => {
    const httpServer = createServer();
    const io = new Server(httpServer) as unknown as ParleyIo;
    const requests: unknown[] = [];
    io.engine.on('connection', (connection: { request: unknown }) => {
      // What engine.io keeps: the request, with the parsed query the handshake read.
      expect((connection.request as { _query?: { EIO?: string } })._query?.EIO).toBe('4');
      requests.push(connection.request);
      emptyHandshakeRequest(connection.request);
    });
    const handshakes: { headers: unknown; query: unknown }[] = [];
    io.of('/chat/acme').on('connection', (socket) => {
      handshakes.push(socket.handshake);
      // An event outside Parley's protocol: this is Socket.IO's plain API.
      const plain = socket as unknown as {
        on(event: string, listener: (value: string, ack: (value: string) => void) => void): void;
      };
      plain.on('echo', (value, ack) => ack(value));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as AddressInfo;
    // One client upgrades from long-polling (a second request), one opens a websocket.
    const clients = [['polling', 'websocket'], ['websocket']].map((transports) =>
      connectClient(`http://127.0.0.1:${port}/chat/acme`, { transports, forceNew: true }),
    );
    cleanup.push(() => {
      for (const client of clients) client.close();
      io.close();
    });
    for (const client of clients) {
      if (!client.connected)
        await new Promise((resolve) => client.once('connect', () => resolve(null)));
    }
    const [polling] = clients as [ReturnType<typeof connectClient>];
    await new Promise<void>((resolve) => {
      if (polling.io.engine.transport.name === 'websocket') resolve();
      else polling.io.engine.once('upgrade', () => resolve());
    });
    for (const client of clients)
      expect(await client.emitWithAck('echo', 'é\u{1F600}')).toBe('é\u{1F600}');
    expect(handshakes).toHaveLength(2);
    // Emptied: nothing of the request's headers or URL kept, and one shared empty object each.
    for (const request of requests) {
      const message = request as { rawHeaders: unknown[]; headers: object; url: string };
      expect(message.rawHeaders).toEqual([]);
      expect(message.headers).toEqual({});
      expect(message.url).toBe('');
    }
    const [first, second] = handshakes as [(typeof handshakes)[0], (typeof handshakes)[0]];
    expect(first.headers).toBe(second.headers);
    expect(first.query).toBe(second.query);
    expect(Object.isFrozen(first.headers)).toBe(true);
  });

  it('keeps a catch-all listener in one slot, where Socket.IO reads it', async () => {
    const httpServer = createServer();
    const io = new Server(httpServer) as unknown as ParleyIo;
    const heard: unknown[] = [];
    function listener(this: unknown, event: string, value: unknown): void {
      heard.push([this === sockets[0], event, value]);
    }
    const sockets: unknown[] = [];
    io.of('/chat/acme').on('connection', (socket) => {
      sockets.push(socket);
      listenToEveryEvent(socket, listener);
      expect((socket as unknown as { _anyListeners: unknown[] })._anyListeners).toEqual([listener]);
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as AddressInfo;
    const client = connectClient(`http://127.0.0.1:${port}/chat/acme`, {
      transports: ['websocket'],
    });
    cleanup.push(() => {
      client.close();
      io.close();
    });
    await new Promise((resolve) => client.once('connect', () => resolve(null)));
    client.emit('first', 1);
    client.emit('second', 'two');
    await expect
      .poll(() => heard)
      .toEqual([
        [true, 'first', 1],
        [true, 'second', 'two'],
      ]);
  });

  it('adds a third close listener to an engine.io connection in an array of its length', async () => {
    const httpServer = createServer();
    const io = new Server(httpServer) as unknown as ParleyIo;
    const closed: string[] = [];
    let events: { close?: unknown } | undefined;
    io.engine.on('connection', (connection: { _events: { close?: unknown } }) => {
      // engine.io and Socket.IO listen already: two, in an array of two.
      expect(connection._events.close).toHaveLength(2);
      onConnectionClose(connection, function released(this: unknown) {
        closed.push(this === connection ? 'this' : 'other');
      });
      events = connection._events;
    });
    io.of('/chat/acme');
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as AddressInfo;
    const client = connectClient(`http://127.0.0.1:${port}/chat/acme`, {
      transports: ['websocket'],
    });
    cleanup.push(() => io.close());
    await new Promise((resolve) => client.once('connect', () => resolve(null)));
    const listeners = events?.close as unknown[];
    expect(listeners).toHaveLength(3);
    // The whole array is three slots: a V8 heap snapshot would show 40 bytes, not 168; what a
    // test can see is that it is a fresh array whose every listener still runs, once.
    client.close();
    await expect.poll(() => closed).toEqual(['this']);
  });

  it("keeps a workspace's namespace while a handshake is under way, though another was refused", async () => {
    const httpServer = createServer();
    const io = new Server(httpServer, { cleanupEmptyChildNamespaces: true }) as unknown as ParleyIo;
    cleanup.push(() => io.close());
    const guarded: boolean[] = [];
    io.on('new_namespace', (namespace) => guarded.push(cleanupOnlyWhenIdle(namespace)));
    // The first handshake waits in the middleware until told; the second is refused at once.
    let admitFirst = () => {};
    const firstWaiting = new Promise<void>((resolve) => {
      io.of(/^\/chat\/[a-z]+$/).use((socket, next) => {
        if (socket.handshake.auth.refuse) return next(new Error('refused'));
        admitFirst = () => next();
        resolve();
      });
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/chat/acme`;
    const first = connectClient(url, { transports: ['websocket'], forceNew: true });
    cleanup.push(() => first.close());
    await firstWaiting;
    const second = connectClient(url, {
      transports: ['websocket'],
      forceNew: true,
      auth: { refuse: true },
    });
    cleanup.push(() => second.close());
    await new Promise((resolve) => second.once('connect_error', resolve));
    admitFirst();
    await new Promise((resolve) => first.once('connect', () => resolve(null)));
    // The shapes read are there, and the namespace the first socket joined is still the one
    // registered (Socket.IO alone would have dropped it with the refusal: nothing broadcast to
    // the workspace would reach that socket).
    expect(guarded).toEqual([true]);
    expect(namespacesOf(io).of('acme')?.sockets.size).toBe(1);
    const heard = new Promise((resolve) => first.once('hello', resolve));
    const workspace = namespacesOf(io).of('acme') as unknown as {
      emit(event: string, value: string): void;
    };
    workspace.emit('hello', 'all');
    expect(await heard).toBe('all');
    // With the last socket gone and no handshake under way, it goes, as Socket.IO would.
    first.close();
    await expect.poll(() => namespacesOf(io).of('acme')).toBeUndefined();
  });
});

/** A version from the workspace's default catalog. */
function catalogPin(workspace: string, name: string): string | undefined {
  const catalog = workspace.slice(workspace.indexOf('\ncatalog:'));
  return new RegExp(`^  ${name.replaceAll('.', '\\.')}: (.+)$`, 'm').exec(catalog)?.[1];
}
