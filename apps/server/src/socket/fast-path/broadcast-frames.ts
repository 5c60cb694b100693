import { type EngineConnection, idleTcpSocketOf } from '../engine-internals';

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
  const write = connection.write;
  connection.write = function writeFrameOrPacket(this: EngineConnection, data, options, callback) {
    const frame = options?.wsPreEncodedFrame;
    const socket = frame && callback === undefined ? idleTcpSocketOf(this) : undefined;
    if (socket) {
      socket.write(joined(frame as Buffer[]));
      counts.directFrames++;
      return this;
    }
    if (!mayQueue(this)) return this;
    return write.call(this, data, options, callback);
  };
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
