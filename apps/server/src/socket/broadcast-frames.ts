import type { Socket as NetSocket } from 'node:net';

/**
 * A room broadcast is encoded once, down to the WebSocket frame: Socket.IO's adapter computes
 * it (`wsPreEncodedFrame`) and hands it to every recipient's engine.io connection. Each
 * connection then wraps it in a packet, emits three events, queues it, asks its transport to
 * send it and, until that write's callback, queues whatever comes next: per recipient, per
 * message, that is most of a broadcast's JavaScript.
 *
 * When nothing of a connection's is waiting (its queue is empty and its transport idle), every
 * byte it sent before is already in the TCP socket, so writing the frame straight there sends
 * the same bytes in the same order. Otherwise the packet takes engine.io's path, behind what is
 * queued.
 */
export function writeBroadcastFramesDirectly(connection: EngineConnection): void {
  const write = connection.write;
  connection.write = function writeFrameOrPacket(this: EngineConnection, data, options, callback) {
    const frame = options?.wsPreEncodedFrame;
    const socket = frame && callback === undefined ? idleWebSocketOf(this) : undefined;
    if (!socket) return write.call(this, data, options, callback);
    socket.write(joined(frame as Buffer[]));
    return this;
  };
}

interface EngineConnection {
  readyState: string;
  writeBuffer: unknown[];
  transport: {
    name: string;
    writable: boolean;
    perMessageDeflate?: unknown;
    socket?: { readyState: number; _socket?: NetSocket };
  };
  write(
    data: unknown,
    options?: { wsPreEncodedFrame?: Buffer[] },
    callback?: () => void,
  ): EngineConnection;
}

const WEBSOCKET_OPEN = 1;

/** The TCP socket, when the connection is an open websocket with nothing queued or in flight. */
function idleWebSocketOf({ readyState, writeBuffer, transport }: EngineConnection) {
  if (readyState !== 'open' || writeBuffer.length > 0 || !transport.writable) return undefined;
  if (transport.name !== 'websocket' || transport.perMessageDeflate) return undefined;
  const ws = transport.socket;
  return ws?.readyState === WEBSOCKET_OPEN ? ws._socket : undefined;
}

/**
 * The frame's header and payload in one buffer, made once per broadcast (every recipient gets
 * the same array), so each recipient costs one plain write instead of cork, two writes, uncork.
 */
const joinedFrames = new WeakMap<Buffer[], Buffer>();

function joined(frame: Buffer[]): Buffer {
  if (frame.length === 1) return frame[0] as Buffer;
  let buffer = joinedFrames.get(frame);
  if (!buffer) {
    buffer = Buffer.concat(frame);
    joinedFrames.set(frame, buffer);
  }
  return buffer;
}
