import { Socket as NetSocket } from 'node:net';
import { chatNamespace } from '@parley/protocol';
import { type InstalledVersions, versionsInNodeModules } from './installed-versions';
import type { ParleyIo, ParleyNamespace } from './types';

/**
 * The fence: the one module that reads private parts of Socket.IO, its adapter, engine.io and
 * ws. Everything else uses the named accessors below; the fast path (fast-path/) is their main
 * user. They were written against exactly these versions (pinned in pnpm-workspace.yaml;
 * engine-internals.test.ts fails when an upgrade changes them or the shapes read here). At
 * start-up the fast path compares the installed versions and what the adapter encodes
 * (`startupDifferences`), and each connection's shape is checked before anything wraps it
 * (`connectionDifference`): when something differs, the optimisations step aside, so an
 * unexpected upgrade costs speed, never correctness.
 */
export const KNOWN_VERSIONS = {
  'socket.io': '4.8.4',
  'socket.io-adapter': '2.5.8',
  'engine.io': '6.6.12',
  ws: '8.21.3',
};

export type { InstalledVersions };

/**
 * Compiled into the build by tsup.config.ts (esbuild's `define`, as JSON): the versions bundled
 * into `dist`, which has no `node_modules` beside it to read them from. Absent when the source runs.
 */
declare const PARLEY_BUNDLED_VERSIONS: string | undefined;

/** The versions this process runs: compiled into the build, or read beside the source. */
export function installedVersions(): InstalledVersions {
  return typeof PARLEY_BUNDLED_VERSIONS === 'undefined'
    ? versionsInNodeModules()
    : (JSON.parse(PARLEY_BUNDLED_VERSIONS) as InstalledVersions);
}

/**
 * What differs, before any connection, from what the fast path was written against: each
 * version, and whether the adapter still builds a broadcast's WebSocket frame once for all
 * recipients (`wsPreEncodedFrame`, from its private `_encode`). Empty: nothing.
 */
export function startupDifferences(
  io: ParleyIo,
  versions: InstalledVersions = installedVersions(),
): string[] {
  const differences: string[] = [];
  for (const [name, known] of Object.entries(KNOWN_VERSIONS)) {
    const installed = versions[name as keyof InstalledVersions];
    if (installed !== known) differences.push(`${name} ${installed} (written for ${known})`);
  }
  if (!preEncodesFrames(io)) {
    differences.push('the Socket.IO adapter does not pre-encode broadcast frames');
  }
  return differences;
}

/** Asks the main namespace's adapter to encode a packet, as it does for every broadcast. */
function preEncodesFrames(io: ParleyIo): boolean {
  const adapter = io.sockets.adapter as unknown as {
    _encode?: (packet: object, options: { wsPreEncodedFrame?: unknown }) => unknown;
  };
  if (typeof adapter._encode !== 'function') return false;
  const options: { wsPreEncodedFrame?: unknown } = {};
  try {
    adapter._encode({ type: 2, nsp: '/', data: ['probe'] }, options);
  } catch {
    return false;
  }
  const frame = options.wsPreEncodedFrame;
  return Array.isArray(frame) && frame.length > 0 && frame.every((part) => Buffer.isBuffer(part));
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

// ---- Socket.IO: a workspace namespace's cleanup ----

type ChildNamespace = {
  sockets: Map<string, unknown>;
  _remove?: (socket: unknown) => void;
  _preConnectSockets?: unknown;
};

/**
 * Socket.IO's `cleanupEmptyChildNamespaces` deletes a workspace's namespace (and closes its
 * adapter) once its last connected socket is removed — also when the one removed is a handshake
 * refused by the middleware while others are still in theirs (`_preConnectSockets`). Those then
 * connect into a namespace that is no longer registered, and hear no broadcast. Made to wait
 * here, for each new namespace, until no handshake is under way either: Socket.IO's cleanup
 * (the `_remove` its parent namespace puts on the child) runs only then. When the shapes are not
 * those, Socket.IO's own behaviour stays (answers false for that namespace).
 */
export function cleanupOnlyWhenIdle(namespace: object): boolean {
  const child = namespace as ChildNamespace;
  const cleanup = child._remove;
  const pending = child._preConnectSockets;
  const plainRemove = (Object.getPrototypeOf(child) as ChildNamespace)._remove;
  if (
    !Object.hasOwn(child, '_remove') ||
    typeof cleanup !== 'function' ||
    typeof plainRemove !== 'function' ||
    !(pending instanceof Map) ||
    !(child.sockets instanceof Map)
  ) {
    return false;
  }
  child._remove = (socket) => {
    plainRemove.call(child, socket);
    if (child.sockets.size === 0 && pending.size === 0) cleanup.call(child, socket);
  };
  return true;
}

/**
 * The engine's open connections, for counting them by transport (the metrics). `clients` is
 * documented in engine.io's README but typed `protected`; absent, there is nothing to count.
 */
export function engineConnections(io: ParleyIo): Iterable<EngineConnection> {
  const clients = (io.engine as unknown as { clients?: unknown }).clients;
  return clients && typeof clients === 'object'
    ? (Object.values(clients) as EngineConnection[])
    : [];
}

/**
 * Bytes waiting to reach each connection's client (engine.io's queue and the TCP socket's
 * buffer), summed, and the largest: what slow readers hold on this node now (the metrics).
 */
export function waitingBytes(io: ParleyIo): { total: number; max: number } {
  let total = 0;
  let max = 0;
  for (const connection of engineConnections(io)) {
    const waiting =
      queuedBytes(connection) + (tcpSocketOf(connection.transport)?.writableLength ?? 0);
    total += waiting;
    if (waiting > max) max = waiting;
  }
  return { total, max };
}

// ---- engine.io: the handshake request ----

const NO_HEADERS: Record<string, string> = Object.freeze(Object.create(null));
const NO_QUERY: Record<string, string> = Object.freeze(Object.create(null));
const NO_RAW_HEADERS: string[] = Object.freeze([]) as unknown as string[];

/**
 * Empties the handshake request of a connection that is up, for memory: engine.io keeps the
 * request for the connection's whole life (as `request`, and through the upgrade response's
 * close listener on the TCP socket, which Parley cannot remove), so nulling `request` frees
 * nothing and makes Socket.IO build new empty `headers` and `query` objects for each socket's
 * handshake. Emptied, it keeps its object but not its headers (two copies, raw and parsed), its
 * URL or its parsed query, and Socket.IO's handshakes share one frozen empty object each. Call
 * once everything needed from the request was read (the client address): nothing reads it later.
 * `rawHeaders`, `headers` and `url` are http.IncomingMessage's own; `_query` is engine.io's
 * (read at the handshake and by upgrade requests, which are other requests).
 */
export function emptyHandshakeRequest(request: unknown): void {
  if (!request || typeof request !== 'object') return;
  const message = request as {
    rawHeaders?: string[];
    headers?: Record<string, string>;
    url?: string;
    _query?: Record<string, string>;
  };
  message.rawHeaders = NO_RAW_HEADERS;
  message.headers = NO_HEADERS;
  message.url = '';
  if (message._query && typeof message._query === 'object') message._query = NO_QUERY;
}

// ---- Socket.IO: one socket ----

/**
 * Listens to every event of `socket` with `listener` (Socket.IO's `onAny`), keeping one slot
 * for it: Socket.IO grows its private `_anyListeners` array by `push` from `[]`, which reserves
 * 17 slots (≈ 150 bytes per idle socket). When the array is not where it was, `onAny` alone.
 */
export function listenToEveryEvent<L extends (...args: never[]) => void>(
  socket: { onAny(listener: L): unknown },
  listener: L,
): void {
  socket.onAny(listener);
  const own = socket as { _anyListeners?: unknown };
  const listeners = own._anyListeners;
  if (Array.isArray(listeners) && listeners.length === 1 && listeners[0] === listener) {
    own._anyListeners = [listener];
  }
}

/**
 * Adds a `close` listener to an engine.io connection without paying for a third listener:
 * Node's EventEmitter keeps two listeners of an event in an array of exactly two, and `push`
 * grows it to 19 slots for a third (≈ 150 bytes per idle socket; engine.io and Socket.IO have
 * two there already). The array is then copied to its length. The emitter's private `_events`
 * is Node's (stable since its first versions); when it is not as expected, just added.
 */
export function onConnectionClose(connection: object, listener: (this: object) => void): void {
  const emitter = connection as {
    on(event: 'close', listener: () => void): unknown;
    _events?: Record<string, unknown>;
  };
  emitter.on('close', listener);
  const events = emitter._events;
  const listeners = events?.close;
  if (events && Array.isArray(listeners) && listeners.at(-1) === listener) {
    events.close = listeners.slice();
  }
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
 * the hot path (every broadcast frame): `connectionDifference` checked the shape once, so this
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
 * Whether a websocket connection's socket is no longer open: its client ended the TCP
 * connection (ws then ends its own side) or closed it, and engine.io has not yet heard. A frame
 * written now cannot arrive, and writing it makes an error (with its stack) out of each packet.
 */
export function websocketClosing(connection: EngineConnection): boolean {
  const { transport } = connection;
  if (transport.name !== 'websocket') return false;
  const ws = (transport as { socket?: { readyState: number } }).socket;
  return ws !== undefined && ws.readyState !== WEBSOCKET_OPEN;
}

/**
 * What of a connection's shape differs from what the accessors read; undefined: nothing. Checked
 * on every live connection before anything wraps it.
 */
export function connectionDifference(connection: unknown): string | undefined {
  const candidate = connection as Partial<EngineConnection> & { writeBuffer?: unknown };
  if (!Array.isArray(candidate.writeBuffer)) return 'engine.io Socket#writeBuffer is not an array';
  if (typeof candidate.write !== 'function') return 'engine.io Socket#write is not a function';
  const transport = candidate.transport;
  if (!transport || typeof transport.name !== 'string') {
    return 'engine.io Socket#transport has no name';
  }
  if (transport.name === 'websocket' && !(tcpSocketOf(transport) instanceof NetSocket)) {
    return "the websocket transport's ws WebSocket#_socket is not a net.Socket";
  }
  return undefined;
}

/** Whether a connection has the shape the accessors read (see `connectionDifference`). */
export function usableConnection(connection: unknown): connection is EngineConnection {
  return connectionDifference(connection) === undefined;
}
