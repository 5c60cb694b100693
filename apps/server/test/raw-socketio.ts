import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { chatNamespace } from '@parley/protocol';

/**
 * A Socket.IO v4 client that frames its own WebSocket on a plain TCP socket, so a test sees what
 * the server sent exactly as it was sent: every frame byte for byte (header and payload), and how
 * many TCP reads they arrived in. socket.io-client, or ws, would hand over decoded payloads only.
 * It speaks just enough Engine.IO (open, ping) and Socket.IO (connect, events, acks) for tests.
 */
export class RawSocketIoClient {
  /** Every frame the server sent, header and payload, in order. */
  readonly frames: Buffer[] = [];
  /** How many times bytes arrived on the TCP socket. */
  reads = 0;
  private pending: Buffer = Buffer.alloc(0);
  private nextAckId = 0;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  private connected?: { resolve: () => void; reject: (error: Error) => void };

  private constructor(
    private readonly socket: Socket,
    private readonly namespace: string,
    private readonly token: string,
    private readonly handshakes: number,
  ) {}

  /**
   * Opens a websocket to `url` and connects to the workspace's namespace with `token`. With
   * `handshakes` > 1, sends that many CONNECT packets to it in one write (a hostile client);
   * refusals of the extra ones are then only recorded in `frames`.
   */
  static async connect(
    url: string,
    workspace: string,
    token: string,
    { handshakes = 1 }: { handshakes?: number } = {},
  ): Promise<RawSocketIoClient> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.setNoDelay(true);
    socket.write(
      [
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
        `Host: ${hostname}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    );
    const client = new RawSocketIoClient(socket, chatNamespace(workspace), token, handshakes);
    const ready = new Promise<void>((resolve, reject) => {
      client.connected = { resolve, reject };
    });
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.startsWith('HTTP/1.1 101')) {
        client.connected?.reject(new Error(`no websocket: ${status}`));
        return;
      }
      socket.on('data', (data: Buffer) => client.onData(data));
      if (head.length > end + 4) client.onData(head.subarray(end + 4), false);
    };
    socket.on('data', onHead);
    socket.on('error', (error) => client.connected?.reject(error));
    socket.on('close', () => client.connected?.reject(new Error('closed before connecting')));
    await ready;
    return client;
  }

  /** Emits `event` and resolves with its acknowledgement's arguments. */
  request(event: string, payload: unknown): Promise<unknown[]> {
    const id = this.nextAckId++;
    const acked = new Promise<unknown[]>((resolve) => this.acks.set(id, resolve));
    this.send(this.eventPacket(event, payload, id));
    return acked;
  }

  /** Emits every `[event, payload]` in one TCP write, as a client with a burst to send does. */
  burst(events: [string, unknown][]): Promise<unknown[][]> {
    const acked = events.map(() => {
      const id = this.nextAckId++;
      return { id, acked: new Promise<unknown[]>((resolve) => this.acks.set(id, resolve)) };
    });
    const packets = events.map(([event, payload], i) =>
      this.eventPacket(event, payload, acked[i]?.id ?? 0),
    );
    this.socket.write(Buffer.concat(packets.map((packet) => maskedFrame(packet))));
    return Promise.all(acked.map(({ acked }) => acked));
  }

  /** The text of every frame received, in order. */
  texts(): string[] {
    return this.frames.map((frame) => payloadOf(frame).toString());
  }

  /** The names of the events received, in order. */
  events(): string[] {
    const prefix = `42${this.namespace},`;
    return this.texts().flatMap((text) =>
      text.startsWith(prefix) ? [(JSON.parse(text.slice(prefix.length)) as [string])[0]] : [],
    );
  }

  /** Stops reading, as a stalled client does: the server's writes pile up. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Resolves once the TCP connection is closed, by either side. */
  ended(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private eventPacket(event: string, payload: unknown, ackId: number): string {
    return `42${this.namespace},${ackId}${JSON.stringify([event, payload])}`;
  }

  private send(text: string): void {
    this.socket.write(maskedFrame(text));
  }

  private onData(data: Buffer, isRead = true): void {
    if (isRead) this.reads++;
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    for (;;) {
      const size = frameSize(this.pending);
      if (size === undefined) return;
      const frame = Buffer.from(this.pending.subarray(0, size));
      this.pending = this.pending.subarray(size);
      this.frames.push(frame);
      const opcode = (frame[0] as number) & 0x0f;
      if (opcode === 0x1) this.onText(payloadOf(frame).toString());
      // The server closes: answer, so it need not wait for its close timeout.
      else if (opcode === 0x8) this.socket.end(maskedFrame('', 0x88));
    }
  }

  private onText(text: string): void {
    const ack = `43${this.namespace},`;
    if (text.startsWith('0')) {
      const connect = maskedFrame(`40${this.namespace},${JSON.stringify({ token: this.token })}`);
      this.socket.write(Buffer.concat(Array.from({ length: this.handshakes }, () => connect)));
    } else if (text === '2') {
      this.send('3');
    } else if (text.startsWith(`40${this.namespace},`)) {
      this.connected?.resolve();
      this.connected = undefined;
    } else if (text.startsWith(`44${this.namespace},`)) {
      if (this.handshakes > 1) return;
      this.connected?.reject(new Error(`refused: ${text}`));
      this.connected = undefined;
    } else if (text.startsWith(ack)) {
      const id = /^\d+/.exec(text.slice(ack.length))?.[0] ?? '';
      this.acks.get(Number(id))?.(JSON.parse(text.slice(ack.length + id.length)));
      this.acks.delete(Number(id));
    }
  }
}

/** The length of the complete frame at the start of `buffer`, or undefined while it is partial. */
function frameSize(buffer: Buffer): number | undefined {
  if (buffer.length < 2) return undefined;
  const length7 = (buffer[1] as number) & 0x7f;
  let header = 2;
  let length = length7;
  if (length7 === 126) {
    header = 4;
    if (buffer.length < header) return undefined;
    length = buffer.readUInt16BE(2);
  } else if (length7 === 127) {
    header = 10;
    if (buffer.length < header) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
  }
  return buffer.length >= header + length ? header + length : undefined;
}

/** A server frame's payload (servers do not mask). */
export function payloadOf(frame: Buffer): Buffer {
  const length7 = (frame[1] as number) & 0x7f;
  return frame.subarray(length7 === 126 ? 4 : length7 === 127 ? 10 : 2);
}

/** A client's frame (text, unless told): clients must mask what they send. */
function maskedFrame(text: string, first = 0x81): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65_536 ? 4 : 10);
  header[0] = first; // FIN and the opcode
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  for (let i = 0; i < length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, payload]);
}
