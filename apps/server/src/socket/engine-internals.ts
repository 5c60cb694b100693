import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket as NetSocket } from 'node:net';
import { dirname, join } from 'node:path';
import { chatNamespace } from '@parley/protocol';
import type { ParleyIo, ParleyNamespace } from './types';

/**
 * The fence: the one module that reads private parts of Socket.IO, engine.io and ws. Everything
 * else uses the named accessors below. They were written against exactly these versions (pinned
 * in pnpm-workspace.yaml; engine-internals.test.ts fails when an upgrade changes them or the
 * shapes read here), and every optimisation built on them checks the shape on a live connection
 * first and steps aside when it differs (`usableConnection`), so an unexpected upgrade costs
 * speed, never correctness.
 */
export const KNOWN_VERSIONS = { 'socket.io': '4.8.4', 'engine.io': '6.6.12', ws: '8.21.3' };

/** The versions installed, as their packages say (found from each package's entry point). */
export function installedVersions(): Record<keyof typeof KNOWN_VERSIONS, string> {
  const socketIo = packageOf(createRequire(import.meta.url), 'socket.io');
  const engineIo = packageOf(createRequire(socketIo.path), 'engine.io');
  const ws = packageOf(createRequire(engineIo.path), 'ws');
  return { 'socket.io': socketIo.version, 'engine.io': engineIo.version, ws: ws.version };
}

function packageOf(require: NodeRequire, name: string): { path: string; version: string } {
  let directory = dirname(require.resolve(name));
  for (;;) {
    const path = join(directory, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version: string };
      if (manifest.name === name) return { path, version: manifest.version };
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json for ${name}`);
    directory = parent;
  }
}

// ---- Socket.IO: the namespaces that exist ----

/**
 * Namespaces are made by the first handshake to them, so code outside a handler cannot ask for
 * one with `io.of()` (that would create it, without its middleware). Socket.IO keeps them in
 * `_nsps`; without that map, the ones announced by the public `new_namespace` event are kept.
 */
export interface NamespaceDirectory {
  /** The workspace's namespace, if it has one on this node now. */
  of(workspace: string): ParleyNamespace | undefined;
  all(): Iterable<ParleyNamespace>;
}

const directories = new WeakMap<ParleyIo, NamespaceDirectory>();

export function namespacesOf(io: ParleyIo): NamespaceDirectory {
  let directory = directories.get(io);
  if (directory) return directory;
  const own = (io as { _nsps?: unknown })._nsps;
  const known = own instanceof Map ? (own as Map<string, ParleyNamespace>) : new Map();
  if (!(own instanceof Map)) {
    io.on('new_namespace', (namespace) => known.set(namespace.name, namespace));
  }
  directory = {
    of: (workspace) => known.get(chatNamespace(workspace)),
    all: () => known.values(),
  };
  directories.set(io, directory);
  return directory;
}

// ---- engine.io: one client connection ----

/** What of an engine.io connection the optimisations read and wrap. */
export interface EngineConnection {
  readyState: string;
  transport: EngineTransport;
  write(
    data: unknown,
    options?: { wsPreEncodedFrame?: Buffer[] },
    callback?: () => void,
  ): EngineConnection;
  close(discard?: boolean): void;
  once(event: 'close', listener: () => void): void;
  once(event: 'upgrade', listener: (transport: EngineTransport) => void): void;
}

export interface EngineTransport {
  name: string;
  writable: boolean;
  perMessageDeflate?: unknown;
}

/** Packets waiting in engine.io's queue for the transport to take them. */
export function queuedPackets(connection: EngineConnection): number {
  return (connection as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}

const WEBSOCKET_OPEN = 1;

/**
 * About how many bytes wait in engine.io's queue: each packet's string, buffer or prebuilt
 * websocket frame. Walks the queue: callers ask now and then, not per packet.
 */
export function queuedBytes(connection: EngineConnection): number {
  let bytes = 0;
  const queue = (connection as unknown as { writeBuffer: QueuedPacket[] }).writeBuffer;
  for (const { data, options } of queue) {
    const frame = options?.wsPreEncodedFrame;
    if (frame) for (const part of frame) bytes += part.length;
    else if (typeof data === 'string') bytes += data.length;
    else bytes += (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
  }
  return bytes;
}

interface QueuedPacket {
  data?: unknown;
  options?: { wsPreEncodedFrame?: Buffer[] };
}

/**
 * The TCP socket under a websocket transport (ws keeps it as `_socket`), while it is open. On
 * the hot path (every broadcast frame): `usableConnection` checked the shape once, so this
 * reads without checking again.
 */
export function tcpSocketOf(transport: EngineTransport): NetSocket | undefined {
  if (transport.name !== 'websocket') return undefined;
  const ws = (transport as { socket?: { readyState: number; _socket?: NetSocket } }).socket;
  return ws?.readyState === WEBSOCKET_OPEN ? ws._socket : undefined;
}

/**
 * The TCP socket of an open websocket connection with nothing queued, nothing in flight and room
 * in its socket buffer: a frame written there goes out in order. Run for every recipient of every
 * broadcast, so it reads the fields directly, in one function.
 */
export function idleTcpSocketOf(connection: EngineConnection): NetSocket | undefined {
  const { readyState, transport } = connection;
  const { writeBuffer } = connection as unknown as { writeBuffer: unknown[] };
  if (readyState !== 'open' || writeBuffer.length > 0 || !transport.writable) return undefined;
  if (transport.name !== 'websocket' || transport.perMessageDeflate) return undefined;
  const ws = (transport as { socket?: { readyState: number; _socket?: NetSocket } }).socket;
  const socket = ws?.readyState === WEBSOCKET_OPEN ? ws._socket : undefined;
  // A slow reader's buffer is full: engine.io's path marks the transport busy until the write
  // completes, which is what lets Socket.IO drop volatile packets (typing) for that client.
  return socket?.writableNeedDrain ? undefined : socket;
}

/**
 * Whether a connection has the shape the optimisations read: checked on live connections, so a
 * dependency upgrade that moved something turns them off instead of breaking delivery.
 */
export function usableConnection(connection: unknown): connection is EngineConnection {
  const candidate = connection as Partial<EngineConnection> & { writeBuffer?: unknown };
  if (!Array.isArray(candidate.writeBuffer) || typeof candidate.write !== 'function') return false;
  const transport = candidate.transport;
  if (!transport || typeof transport.name !== 'string') return false;
  return transport.name !== 'websocket' || tcpSocketOf(transport) instanceof NetSocket;
}
