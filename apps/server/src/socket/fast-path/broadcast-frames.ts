import { type EngineConnection, idleTcpSocketOf, websocketClosing } from '../engine-internals';

/**
 * A room broadcast is encoded once, down to the WebSocket frame: Socket.IO's adapter computes
 * it (`wsPreEncodedFrame`) and hands it to every recipient's engine.io connection. Each
 * connection then wraps it in a packet, emits three events, queues it, asks its transport to
 * send it and, until that write's callback, queues whatever comes next: per recipient, per
 * message, that is most of a broadcast's JavaScript.
 *
 * When nothing of a connection's is waiting (its queue is empty and its transport idle), every
 * byte it sent before is already in the TCP socket, so writing the frame straight there sends
 * the same bytes in the same order. Otherwise (and when the TCP socket's buffer is full) the
 * packet takes engine.io's path, behind what is queued.
 */
export function writeBroadcastFramesDirectly(
  connection: EngineConnection,
  /** Asked before a packet waits in engine.io's queue: false drops it (see ../slow-readers.ts). */
  mayQueue: (connection: EngineConnection) => boolean = () => true,
  /** Counted into the fast path's stats: frames that skipped engine.io. */
  counts: { directFrames: number } = { directFrames: 0 },
): void {
  const routed = connection as Routed;
  // One route per server (its cap and counts), shared by its connections: a closure per
  // connection would cost each idle socket ≈ 150 bytes.
  let route = routes.get(counts);
  if (!route || route.mayQueue !== mayQueue || route.write !== connection.write) {
    route = { mayQueue, counts, write: connection.write };
    routes.set(counts, route);
  }
  routed[ROUTE] = route;
  routed.write = writeFrameOrPacket;
}

/** Where a connection's own write and its server's cap and counts are found. */
interface Route {
  mayQueue: (connection: EngineConnection) => boolean;
  counts: { directFrames: number };
  /** engine.io's write, as the connection had it (its prototype's). */
  write: EngineConnection['write'];
}

const ROUTE = Symbol('parley.broadcastFrames');
type Routed = EngineConnection & { [ROUTE]: Route };
const routes = new WeakMap<object, Route>();

function writeFrameOrPacket(
  this: Routed,
  data: unknown,
  options?: { wsPreEncodedFrame?: Buffer[] },
  callback?: () => void,
): EngineConnection {
  const route = this[ROUTE];
  const frame = options?.wsPreEncodedFrame;
  const socket = frame && callback === undefined ? idleTcpSocketOf(this) : undefined;
  if (socket) {
    socket.write(joined(frame as Buffer[]));
    route.counts.directFrames++;
    return this;
  }
  // Its client is gone and engine.io will hear so from ws: the packet could not arrive, and
  // writing it would only make an error per packet (a room's departures, written to members
  // leaving with it, cost a mass disconnect more than the disconnects themselves). engine.io's
  // own pings take another way (its sendPacket): one may still find the socket ended, rarely.
  if (websocketClosing(this) || !route.mayQueue(this)) return this;
  return route.write.call(this, data, options, callback);
}

/**
 * The frame's header and payload in one buffer, made once per broadcast, so each recipient costs
 * one plain write instead of cork, two writes, uncork. The adapter hands the same array to every
 * recipient of a broadcast one after the other, so remembering the last one is enough (a
 * WeakMap would do the same at a garbage-collection cost per broadcast).
 */
let lastFrame: Buffer[] | undefined;
let lastJoined: Buffer | undefined;

function joined(frame: Buffer[]): Buffer {
  if (frame.length === 1) return frame[0] as Buffer;
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastJoined = Buffer.concat(frame);
  }
  return lastJoined as Buffer;
}
