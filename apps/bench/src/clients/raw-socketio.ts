import { randomBytes } from 'node:crypto';
import { ClientEvent, chatNamespace, ServerEvent } from '@parley/protocol';
import type { Histogram } from 'hdr-histogram-js';
import WebSocket from 'ws';
import { monotonicMicros } from '../latency';

/**
 * A receiver (and, when asked, sender) that speaks just enough Engine.IO / Socket.IO v4 over a
 * raw WebSocket, so the load generator costs far less per message than the server it measures:
 * `socket.io-client` would cost about as much as the server itself. Frames are recognised by
 * their first bytes; only probe clients parse the send timestamp out of a message.
 */

export interface ClientSpec {
  /** http://host:port of the node to connect to. */
  url: string;
  workspace: string;
  /** The room it joins once connected; none: it stops at the namespace (a lobby, a room maker). */
  room?: string;
  userId: string;
  /** Parse each received message's timestamp into the latency histogram. */
  probe: boolean;
  /** Parse each acknowledged send's timestamp into the ack latency histogram. */
  probeAcks?: boolean;
  /** Takes part in sending when the worker's rate is above zero. */
  sends: boolean;
  /** Source address (127.0.0.x), so many connections do not exhaust one address's ports. */
  localAddress?: string;
  /** Count every event packet received by its name (presence-churn): `WorkerCounters.events`. */
  countEvents?: boolean;
}

/** Counters shared by every client of one worker process. */
export interface WorkerCounters {
  delivered: number;
  sent: number;
  acked: number;
  rejected: number;
  disconnects: number;
  /** Bytes and count of the probed message frames: the frame size each server sends. */
  probedBytes: number;
  probedFrames: number;
  latency: Histogram;
  /** From sending `message:send` to its acknowledgement, for clients with `probeAcks`. */
  ackLatency: Histogram;
  /**
   * Event packets received by clients with `countEvents`, by event name: whatever names arrive
   * (message:new, presence:*, room:updated, and any the server adds), none assumed.
   */
  events: Map<string, number>;
}

/** Called with an acknowledgement's frame and whether it said `ok: true`. */
export type AckHandler = (frame: Buffer, ok: boolean) => void;

const OPEN = 0x30; // '0' Engine.IO open
const PING = 0x32; // '2' Engine.IO ping
const MESSAGE = 0x34; // '4' Engine.IO message, followed by a Socket.IO packet type
const SIO_CONNECT = 0x30;
const SIO_EVENT = 0x32;
const SIO_ACK = 0x33;
const SIO_CONNECT_ERROR = 0x34;
const TIMESTAMP_MARK = 0x40; // '@' around the send time in the message text
const DIGIT_0 = 0x30;
const OK_TRUE = Buffer.from('[{"ok":true');
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;

/** Event names seen, as bytes, so that counting a known name allocates nothing. */
const knownNames: { bytes: Buffer; name: string }[] = [];

/** The Socket.IO websocket endpoint of a server at `url` (http://host:port). */
export function websocketUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
}

/**
 * The event name of a Socket.IO event packet `42<namespace>,[<ack id>]["name",…]`, read from
 * `from` (just past the namespace's comma); undefined when the packet is not shaped so.
 */
export function eventNameOf(data: Buffer, from: number): string | undefined {
  let i = from;
  while (i < data.length && (data[i] as number) >= DIGIT_0 && (data[i] as number) <= DIGIT_0 + 9)
    i++;
  if (data[i] !== OPEN_BRACKET || data[i + 1] !== QUOTE) return undefined;
  const start = i + 2;
  const end = data.indexOf(QUOTE, start);
  if (end < 0) return undefined;
  for (const known of knownNames) {
    if (
      known.bytes.length === end - start &&
      data.compare(known.bytes, 0, known.bytes.length, start, end) === 0
    )
      return known.name;
  }
  const name = data.toString('latin1', start, end);
  if (knownNames.length < 64) knownNames.push({ bytes: Buffer.from(name, 'latin1'), name });
  return name;
}

export class RawSocketIoClient {
  inFlight = 0;
  private readonly ws: WebSocket;
  private readonly namespace: string;
  private readonly messageNewPrefix: Buffer;
  private readonly ackPrefixLength: number;
  /** Where an event packet's `[` starts: the length of `42<namespace>,`. */
  private readonly eventPrefixLength: number;
  private nextAckId = 0;
  /**
   * Makes this connection's clientMsgIds its own: a user who reconnects (the latency rounds do)
   * and counts from 0 again would otherwise resend ids Parley already stored, and be answered
   * with the stored message instead of a new broadcast.
   */
  private readonly msgIdPrefix = randomBytes(4).toString('hex');
  private joinAckId = -1;
  /** Acknowledgements awaited by `request`, by id; made on first use (senders never need it). */
  private requests?: Map<number, AckHandler>;
  private opened?: { resolve: () => void; reject: (error: Error) => void };
  private up = false;

  constructor(
    readonly spec: ClientSpec,
    private readonly token: string,
    private readonly counters: WorkerCounters,
  ) {
    this.namespace = chatNamespace(spec.workspace);
    this.messageNewPrefix = Buffer.from(`42${this.namespace},["${ServerEvent.MessageNew}",`);
    this.ackPrefixLength = Buffer.byteLength(`43${this.namespace},`);
    this.eventPrefixLength = this.ackPrefixLength;
    this.ws = new WebSocket(websocketUrl(spec.url), {
      localAddress: spec.localAddress,
      perMessageDeflate: false,
      // The generator trusts the servers' UTF-8; checking it would only slow the generator.
      skipUTF8Validation: true,
    });
    this.ws.on('message', (data: Buffer) => this.onFrame(data));
    this.ws.on('error', (error) => this.fail(error));
    this.ws.on('close', () => {
      if (this.up) this.counters.disconnects++;
      this.up = false;
      this.fail(new Error('connection closed'));
    });
  }

  /** Resolves once connected to the namespace (token accepted) and joined to the room. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not joined within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.opened = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  get connected(): boolean {
    return this.up;
  }

  /** Sends one timestamped message to the client's room; the ack frees a window slot. */
  sendMessage(): void {
    const id = this.nextAckId++;
    const text = `@${monotonicMicros()}@`;
    const payload = `{"room":"${this.spec.room}","text":"${text}","clientMsgId":"${this.msgIdPrefix}-${id}"}`;
    this.ws.send(`42${this.namespace},${id}["${ClientEvent.MessageSend}",${payload}]`);
    this.inFlight++;
    this.counters.sent++;
  }

  /** Emits `event` with a payload (JSON) and hands its acknowledgement to `onAck`. */
  request(event: string, payload: string, onAck: AckHandler): void {
    const id = this.nextAckId++;
    this.requests ??= new Map();
    this.requests.set(id, onAck);
    this.ws.send(`42${this.namespace},${id}["${event}",${payload}]`);
  }

  close(): void {
    this.up = false;
    this.ws.terminate();
  }

  private fail(error: Error): void {
    this.opened?.reject(error);
    this.opened = undefined;
  }

  private onFrame(data: Buffer): void {
    const type = data[0];
    if (type === MESSAGE) {
      switch (data[1]) {
        case SIO_EVENT:
          this.onEvent(data);
          break;
        case SIO_ACK:
          this.onAck(data);
          break;
        case SIO_CONNECT:
          if (this.spec.room === undefined) this.joined();
          else this.join();
          break;
        case SIO_CONNECT_ERROR:
          this.fail(new Error(`refused: ${data.toString()}`));
          break;
      }
    } else if (type === PING && data.length === 1) {
      this.ws.send('3');
    } else if (type === OPEN) {
      this.ws.send(`40${this.namespace},${JSON.stringify({ token: this.token })}`);
    }
  }

  private join(): void {
    this.joinAckId = this.nextAckId++;
    const payload = JSON.stringify({ room: this.spec.room });
    this.ws.send(`42${this.namespace},${this.joinAckId}["${ClientEvent.RoomJoin}",${payload}]`);
  }

  private onEvent(data: Buffer): void {
    const prefix = this.messageNewPrefix;
    const isMessage =
      data.length > prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
    if (this.spec.countEvents) {
      const name = isMessage
        ? ServerEvent.MessageNew
        : (eventNameOf(data, this.eventPrefixLength) ?? '(unparsed)');
      const { events } = this.counters;
      events.set(name, (events.get(name) ?? 0) + 1);
    }
    if (!isMessage) return; // presence, room updates: not what the other scenarios measure
    this.counters.delivered++;
    if (!this.spec.probe || !this.record(this.counters.latency, data, prefix.length)) return;
    this.counters.probedBytes += data.length;
    this.counters.probedFrames++;
  }

  private onAck(data: Buffer): void {
    let i = this.ackPrefixLength;
    let id = 0;
    for (; i < data.length; i++) {
      const digit = (data[i] as number) - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      id = id * 10 + digit;
    }
    const ok = data.compare(OK_TRUE, 0, OK_TRUE.length, i, i + OK_TRUE.length) === 0;
    if (id === this.joinAckId) {
      if (ok) this.joined();
      else this.fail(new Error(`join refused: ${data.toString()}`));
      return;
    }
    const request = this.requests?.get(id);
    if (request) {
      this.requests?.delete(id);
      request(data, ok);
      return;
    }
    this.inFlight--;
    if (!ok) {
      this.counters.rejected++;
      return;
    }
    this.counters.acked++;
    // The acknowledgement carries the stored message, whose text is the send's timestamp.
    if (this.spec.probeAcks) this.record(this.counters.ackLatency, data, i);
  }

  private joined(): void {
    this.up = true;
    this.opened?.resolve();
    this.opened = undefined;
  }

  /** Records the time since the `@<µs>@` timestamp found in `data` from `from` on. */
  private record(histogram: Histogram, data: Buffer, from: number): boolean {
    const mark = data.indexOf(TIMESTAMP_MARK, from);
    if (mark < 0) return false;
    let sentAt = 0;
    for (let i = mark + 1; i < data.length; i++) {
      const digit = (data[i] as number) - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      sentAt = sentAt * 10 + digit;
    }
    histogram.recordValue(Math.max(1, monotonicMicros() - sentAt));
    return true;
  }
}
