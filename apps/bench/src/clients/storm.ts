import { type NetConnectOpts, connect as netConnect } from 'node:net';
import { ClientEvent, chatNamespace, ErrorCode, ServerEvent } from '@parley/protocol';
import WebSocket from 'ws';
// The client library's own backoff for refusals Socket.IO does not retry, and its connect timeout
// after attempts that timed out: pure functions, used as they are.
import { connectTimeout, retryDelay } from '../../../../packages/client/src/connection';
import type {
  StormClientTimes,
  StormConnectReport,
  StormReport,
  StormSeedReport,
} from './commands';
import { HeldMembers } from './held-members';
import { eventNameOf, websocketUrl } from './raw-socketio';

/**
 * Reconnect storm (scenarios/reconnect-storm.ts), inside one load-generator process: idle clients,
 * each in one room, that come back by themselves whenever their connection is lost, the way
 * @parley/client does, and re-join their room with `since` (and `sinceId`) = the last seq they saw.
 *
 * The reconnect policy is @parley/client's (packages/client/src/client.ts and client/):
 * - a lost connection is retried by socket.io-client's Manager with the options the client library
 *   sets (reconnectionDelay 1000, reconnectionDelayMax 5000, randomizationFactor 0.5), i.e.
 *   socket.io-client's `Backoff` (its build/esm/contrib/backo2.js), mirrored exactly in
 *   `SocketIoBackoff` below: neither @parley/client nor socket.io-client exports it;
 * - an attempt with no handshake within its timeout is given up: 20 s (socket.io-client's
 *   `timeout`), twice as long after each attempt in a row that timed out, at most 60 s
 *   (`connectTimeout`, imported from packages/client/src/connection.ts), until one connects;
 * - a server disconnect (`io server disconnect`, a graceful shutdown) connects again at once
 *   (connectionStep's `connect` effect), then the Manager's backoff as above when that fails;
 * - a namespace refusal that is transient (`unavailable`, `internal`, `rate_limited`) waits
 *   `retryDelay(attempt)` (imported from packages/client/src/connection.ts) and asks again;
 * - a `room:join` answered `unavailable` or `rate_limited` is asked again after the answer's
 *   `retryAfterMs`, else after RESEND_DELAYS_MS[attempt] (@parley/protocol/client, mirrored: that
 *   module imports socket.io-client, which the bench does not install), at most 5 times.
 */

/** @parley/protocol/client's RESEND_DELAYS_MS (mirrored, see above). */
const RESEND_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;
/** @parley/client's room-joins.ts: the join answers that are asked again. */
const RETRIED_JOIN = new Set<string>([ErrorCode.Unavailable, ErrorCode.RateLimited]);
/** connection.ts's TRANSIENT: namespace refusals retried later. */
const TRANSIENT = new Set<string>([
  ErrorCode.Unavailable,
  ErrorCode.Internal,
  ErrorCode.RateLimited,
]);
/**
 * How a connection attempt that got no handshake within its timeout (`connectTimeout`) is
 * counted, with the step it was stuck at: where a server's time went, from outside it.
 */
export const HANDSHAKE_TIMEOUT = 'no handshake in time';
type HandshakeStep =
  | 'no TCP connection'
  | 'no upgrade answer'
  | 'no engine open'
  | 'no namespace connect';
/** @parley/client's default acknowledgement timeout: no answer is `unavailable`. */
const ACK_TIMEOUT_MS = 10_000;

/** socket.io-client's `Backoff` (backo2), with @parley/client's options. */
export class SocketIoBackoff {
  attempts = 0;
  constructor(
    private readonly min = 1000,
    private readonly max = 5000,
    private readonly jitter = 0.5,
    private readonly factor = 2,
  ) {}

  duration(): number {
    let ms = this.min * this.factor ** this.attempts++;
    if (this.jitter) {
      const rand = Math.random();
      const deviation = Math.floor(rand * this.jitter * ms);
      ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation;
    }
    return Math.min(ms, this.max) | 0;
  }

  reset(): void {
    this.attempts = 0;
  }
}

export interface StormClientSpec {
  url: string;
  workspace: string;
  room: string;
  userId: string;
  localAddress?: string;
  /**
   * Re-join in the handshake (`auth.join`, answered by `rooms:joined`), as @parley/client does
   * with a server that answers it; else by `room:join` once connected (bare Socket.IO, older
   * Parley builds).
   */
  joinOnConnect?: boolean;
}

/** Epoch milliseconds, comparable with the harness's (see servers/targets.ts epochMs). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

const OPEN = 0x30;
const CLOSE = 0x31;
const PING = 0x32;
const MESSAGE = 0x34;
const SIO_CONNECT = 0x30;
const SIO_DISCONNECT = 0x31;
const SIO_EVENT = 0x32;
const SIO_ACK = 0x33;
const SIO_CONNECT_ERROR = 0x34;

/** The join the handshake carried (`auth.join`), answered by `rooms:joined`, not by an ack. */
const HANDSHAKE_JOIN = -2;

type HeldAnswer = Parameters<HeldMembers['joined']>[0];

interface JoinAnswer extends HeldAnswer {
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
  messages?: { seq?: number; id?: string }[];
  recovered?: boolean;
}

/** What the clients of this process met since the storm was armed. */
class StormCounters {
  attempts = 0;
  connectErrors: Record<string, number> = {};
  refusals: Record<string, number> = {};
  joinFailures: Record<string, number> = {};
  joinsGivenUp = 0;
  recovered = 0;
  notRecovered = 0;
  messagesRecovered = 0;
  /** Re-joins answered `membersUnchanged`: the list the client held was current. */
  listsLeftOut = 0;
  /** Bytes of the re-joins' answers (the frames that carried them). */
  joinAnswerBytes = 0;
  events: Record<string, number> = {};
  count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }
}

export class StormClient {
  private ws?: WebSocket;
  private readonly namespace: string;
  private readonly backoff = new SocketIoBackoff();
  private refusalAttempt = 0;
  private nextAckId = 0;
  private joinAckId = -1;
  private joinAttempt = 0;
  private joinTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private connectTimer?: NodeJS.Timeout;
  /** Attempts in a row that got no handshake in time, since the last connection. */
  private timedOutAttempts = 0;
  private closed = false;
  /** How far the current attempt got: what a timeout is counted under. */
  private step: HandshakeStep = 'no TCP connection';
  /** The attempt the connect timeout ended (its error is counted as the timeout). */
  private timedOut?: WebSocket;
  private serverDisconnected = false;
  private joinedOnce = false;
  /** Connected to the namespace and joined to the room. */
  up = false;
  /** The highest seq up to which this client has every message, and the id there. */
  private seq = 0;
  private seqId?: string;
  private readonly ahead = new Map<number, string | undefined>();
  /** The room's member list as this client heard it, for its re-joins' `membersHash`. */
  private readonly held = new HeldMembers();
  /** When `seq` last moved. */
  private seqAt = 0;
  /** The current storm: when the connection was lost, and the steps back. */
  times: StormClientTimes = { lostAt: 0, reconnectedAt: 0, rejoinedAt: 0, seqAt: 0, seq: 0 };
  private first?: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    readonly spec: StormClientSpec,
    private readonly token: string,
    private readonly counters: () => StormCounters,
  ) {
    this.namespace = chatNamespace(spec.workspace);
  }

  /** Connects and joins the first time; resolves once joined. */
  start(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.first = undefined;
        reject(new Error(`not joined within ${timeoutMs} ms`));
      }, timeoutMs);
      this.first = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.open();
    });
  }

  /** A new storm begins: forget the times of the last one. */
  arm(): void {
    this.times = { lostAt: 0, reconnectedAt: 0, rejoinedAt: 0, seqAt: 0, seq: this.seq };
  }

  /** The times of this storm, with the seq reached and when. */
  read(): StormClientTimes {
    return { ...this.times, seq: this.seq, seqAt: this.seqAt };
  }

  close(): void {
    this.closed = true;
    this.up = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.joinTimer);
    clearTimeout(this.connectTimer);
    this.ws?.terminate();
  }

  private open(): void {
    if (this.closed) return;
    this.step = 'no TCP connection';
    if (this.joinedOnce) this.counters().attempts++;
    const url = websocketUrl(this.spec.url);
    const ws: WebSocket = new WebSocket(url, {
      // The TCP connection made here (an http.request option ws passes on), so its connect marks
      // the first step a timeout can be stuck after. As in ws's own: `path` is the request's
      // target here, not a socket path.
      createConnection: ((options: NetConnectOpts & { socketPath?: string }) =>
        netConnect({ ...options, path: options.socketPath } as NetConnectOpts).once(
          'connect',
          () => {
            if (this.ws === ws && this.step === 'no TCP connection')
              this.step = 'no upgrade answer';
          },
        )) as typeof netConnect,
      localAddress: this.spec.localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.ws = ws;
    ws.once('upgrade', () => {
      if (this.ws === ws) this.step = 'no engine open';
    });
    this.serverDisconnected = false;
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      // socket.io-client's Manager gives up on an attempt after its `timeout`, which
      // @parley/client lengthens after each attempt that timed out.
      this.timedOutAttempts++;
      if (this.joinedOnce && !this.up) {
        const counters = this.counters();
        counters.count(counters.connectErrors, `${HANDSHAKE_TIMEOUT} (${this.step})`);
      }
      this.timedOut = ws;
      ws.terminate();
    }, connectTimeout(this.timedOutAttempts));
    ws.on('message', (data: Buffer) => {
      if (this.ws === ws) this.onFrame(data);
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (this.ws === ws && this.timedOut !== ws && !this.up && this.joinedOnce)
        this.counters().count(this.counters().connectErrors, error.code ?? error.message);
    });
    ws.on('close', () => {
      if (this.ws === ws) this.onClose();
    });
  }

  /** The connection is gone (lost, or an attempt failed): try again as the client library would. */
  private onClose(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.joinTimer);
    const wasUp = this.up;
    this.up = false;
    if (this.closed) return;
    if (!this.joinedOnce) {
      this.first?.reject(new Error('connection closed'));
      this.first = undefined;
      return;
    }
    if (wasUp || this.times.lostAt === 0) {
      // Lost: socket.io-client's Manager resets its backoff, then waits its first delay; a
      // server disconnect is connected again at once by the client library.
      if (this.times.lostAt === 0) this.times.lostAt = now();
      this.backoff.reset();
      this.refusalAttempt = 0;
      if (this.serverDisconnected) {
        this.open();
        return;
      }
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), this.backoff.duration());
  }

  private send(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
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
          clearTimeout(this.connectTimer);
          this.timedOutAttempts = 0;
          this.backoff.reset();
          this.refusalAttempt = 0;
          if (this.joinedOnce && this.times.lostAt !== 0 && this.times.reconnectedAt === 0)
            this.times.reconnectedAt = now();
          this.joinAttempt = 0;
          if (this.spec.joinOnConnect) this.awaitJoinAnswer(HANDSHAKE_JOIN);
          else this.join();
          break;
        case SIO_DISCONNECT:
          this.serverDisconnected = true;
          break;
        case SIO_CONNECT_ERROR:
          this.onRefusal(data);
          break;
      }
    } else if (type === PING && data.length === 1) {
      this.send('3');
    } else if (type === OPEN) {
      this.step = 'no namespace connect';
      this.sendConnect();
    } else if (type === CLOSE) {
      this.serverDisconnected = true;
    }
  }

  /** `connect_error` from the server: transient ones are asked again after `retryDelay`. */
  private onRefusal(data: Buffer): void {
    clearTimeout(this.connectTimer);
    const text = data.toString();
    const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? 'unknown';
    if (!this.joinedOnce) {
      this.first?.reject(new Error(`refused: ${text.slice(0, 300)}`));
      this.first = undefined;
      this.ws?.terminate();
      return;
    }
    this.counters().count(this.counters().refusals, code);
    if (!TRANSIENT.has(code) && code !== ErrorCode.Unauthorized) {
      // forbidden, not_found: the client library goes offline. Counted; this client stays out.
      this.counters().joinsGivenUp++;
      return;
    }
    // The engine connection stays open (socket.io-client keeps the Manager's); the namespace
    // is asked again later.
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        if (this.ws?.readyState === WebSocket.OPEN) {
          this.counters().attempts++;
          this.sendConnect();
        } else this.open();
      },
      retryDelay(this.refusalAttempt++),
    );
  }

  /** The namespace handshake, with the room to re-join in it when the server answers that. */
  private sendConnect(): void {
    const auth = this.spec.joinOnConnect
      ? { token: this.token, join: [this.joinPayload()] }
      : { token: this.token };
    this.send(`40${this.namespace},${JSON.stringify(auth)}`);
  }

  /**
   * `room:join`'s payload: with `since` (and `sinceId`) once this client has seen messages, and
   * the hash of the member list it holds (as @parley/client sends them).
   */
  private joinPayload(): { room: string; since?: number; sinceId?: string; membersHash?: string } {
    const payload: { room: string; since?: number; sinceId?: string } = { room: this.spec.room };
    if (this.joinedOnce && this.seq > 0) {
      payload.since = this.seq;
      if (this.seqId) payload.sinceId = this.seqId;
    }
    return this.joinedOnce ? { ...payload, ...this.held.joinFields() } : payload;
  }

  private join(): void {
    const id = this.nextAckId++;
    this.send(
      `42${this.namespace},${id}["${ClientEvent.RoomJoin}",${JSON.stringify(this.joinPayload())}]`,
    );
    this.awaitJoinAnswer(id);
  }

  /** Waits for the answer to join `id` (an ack id, or the handshake's): unanswered, as no_answer. */
  private awaitJoinAnswer(id: number): void {
    this.joinAckId = id;
    clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => {
      if (this.joinAckId === id) this.onJoin({ ok: false, error: { code: 'no_answer' } });
    }, ACK_TIMEOUT_MS);
  }

  private onAck(data: Buffer): void {
    const comma = data.indexOf(0x2c); // the `,` after the namespace
    let i = comma + 1;
    let id = 0;
    for (; i < data.length; i++) {
      const digit = (data[i] as number) - 0x30;
      if (digit < 0 || digit > 9) break;
      id = id * 10 + digit;
    }
    if (id !== this.joinAckId) return;
    if (this.joinedOnce) this.counters().joinAnswerBytes += data.length;
    clearTimeout(this.joinTimer);
    this.joinAckId = -1;
    let answer: JoinAnswer;
    try {
      answer = (JSON.parse(data.toString('utf8', i)) as JoinAnswer[])[0] ?? { ok: false };
    } catch {
      answer = { ok: false, error: { code: 'unparsed' } };
    }
    this.onJoin(answer);
  }

  private onJoin(answer: JoinAnswer): void {
    const counters = this.counters();
    if (!answer.ok) {
      const code = answer.error?.code ?? 'unknown';
      if (!this.joinedOnce) {
        this.first?.reject(new Error(`join refused: ${code}`));
        this.first = undefined;
        return;
      }
      counters.count(counters.joinFailures, code);
      const delay = RESEND_DELAYS_MS[this.joinAttempt];
      // An unanswered join is `unavailable` to the client library (its ack timeout).
      const retried = RETRIED_JOIN.has(code === 'no_answer' ? ErrorCode.Unavailable : code);
      if (retried && delay !== undefined) {
        this.joinAttempt++;
        this.joinTimer = setTimeout(() => this.join(), answer.error?.retryAfterMs ?? delay);
      } else {
        counters.joinsGivenUp++;
      }
      return;
    }
    const since = this.joinedOnce ? this.seq : undefined;
    const messages = answer.messages ?? [];
    if (since !== undefined && since > 0) {
      if (answer.membersUnchanged) counters.listsLeftOut++;
      if (answer.recovered) {
        counters.recovered++;
        counters.messagesRecovered += messages.length;
      } else {
        counters.notRecovered++;
        this.resetTo(messages);
      }
    } else if (!this.joinedOnce) {
      this.resetTo(messages);
    }
    for (const entry of messages) if (entry.seq !== undefined) this.note(entry.seq, entry.id);
    this.held.joined(answer);
    this.up = true;
    if (!this.joinedOnce) {
      this.joinedOnce = true;
      this.first?.resolve();
      this.first = undefined;
    } else if (this.times.lostAt !== 0 && this.times.rejoinedAt === 0) {
      this.times.rejoinedAt = now();
    }
  }

  /** The handshake's join answered (`rooms:joined`, one room: this client's). */
  private onRoomsJoined(data: Buffer, start: number): void {
    if (this.joinAckId !== HANDSHAKE_JOIN) return;
    clearTimeout(this.joinTimer);
    this.joinAckId = -1;
    let answer: JoinAnswer;
    try {
      const [, joined] = JSON.parse(data.toString('utf8', start)) as [
        string,
        { answers: { result: JoinAnswer }[] },
      ];
      answer = joined.answers[0]?.result ?? { ok: false, error: { code: 'unparsed' } };
    } catch {
      answer = { ok: false, error: { code: 'unparsed' } };
    }
    this.onJoin(answer);
  }

  /** The latest page answered instead of a recovery: start over from its newest seq. */
  private resetTo(messages: JoinAnswer['messages'] & {}): void {
    let newest = 0;
    let id: string | undefined;
    for (const entry of messages) {
      if (entry.seq !== undefined && entry.seq > newest) {
        newest = entry.seq;
        id = entry.id;
      }
    }
    this.ahead.clear();
    if (newest !== this.seq) this.seqAt = now();
    this.seq = newest;
    this.seqId = id;
  }

  /** A message (or change) at `seq` arrived: move `seq` over whatever is now unbroken. */
  private note(seq: number, id: string | undefined): void {
    if (seq <= this.seq) return;
    if (seq !== this.seq + 1) {
      this.ahead.set(seq, id);
      return;
    }
    this.seq = seq;
    this.seqId = id;
    while (this.ahead.has(this.seq + 1)) {
      this.seq++;
      this.seqId = this.ahead.get(this.seq);
      this.ahead.delete(this.seq);
    }
    this.seqAt = now();
  }

  private onEvent(data: Buffer): void {
    const comma = data.indexOf(0x2c);
    const name = eventNameOf(data, comma + 1) ?? '(unparsed)';
    const counters = this.counters();
    counters.count(counters.events, name);
    if (name === ServerEvent.RoomsJoined) {
      if (this.joinedOnce) counters.joinAnswerBytes += data.length;
      this.onRoomsJoined(data, comma + 1);
      return;
    }
    if (HeldMembers.heard(name)) {
      try {
        const [, payload] = JSON.parse(data.toString('utf8', comma + 1)) as [
          string,
          Parameters<HeldMembers['apply']>[1],
        ];
        this.held.apply(name, payload);
      } catch {
        // not Parley's presence shape: nothing to track
      }
      return;
    }
    if (name !== ServerEvent.MessageNew) return;
    try {
      const [, message] = JSON.parse(data.toString('utf8', comma + 1)) as [
        string,
        { seq?: number; id?: string },
      ];
      if (message.seq !== undefined) this.note(message.seq, message.id);
    } catch {
      // not Parley's message shape (bare Socket.IO echoes the payload): nothing to track
    }
  }
}

/** Every storm client of this process. */
export class Storm {
  private clients: StormClient[] = [];
  private counters = new StormCounters();

  async connect(
    specs: StormClientSpec[],
    tokens: string[],
    concurrency: number,
    timeoutMs: number,
  ): Promise<StormConnectReport> {
    const startedAt = performance.now();
    const report: StormConnectReport = { connected: 0, failed: 0, errors: [], elapsedMs: 0 };
    let next = 0;
    const lane = async () => {
      while (next < specs.length) {
        const index = next++;
        const client = new StormClient(
          specs[index] as StormClientSpec,
          tokens[index] as string,
          () => this.counters,
        );
        try {
          await client.start(timeoutMs);
          this.clients.push(client);
          report.connected++;
        } catch (error) {
          client.close();
          report.failed++;
          if (report.errors.length < 5) report.errors.push((error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    report.elapsedMs = performance.now() - startedAt;
    return report;
  }

  arm(): void {
    this.counters = new StormCounters();
    for (const client of this.clients) client.arm();
  }

  report(withTimes: boolean): StormReport {
    const { attempts, connectErrors, refusals, joinFailures, joinsGivenUp } = this.counters;
    const { recovered, notRecovered, messagesRecovered, listsLeftOut, events } = this.counters;
    const { joinAnswerBytes } = this.counters;
    let up = 0;
    let reconnected = 0;
    let rejoined = 0;
    const seqByRoom: Record<string, number> = {};
    for (const client of this.clients) {
      if (client.up) up++;
      if (client.times.reconnectedAt) reconnected++;
      if (client.times.rejoinedAt) rejoined++;
      const { room } = client.spec;
      const seq = client.read().seq;
      seqByRoom[room] = Math.min(seqByRoom[room] ?? seq, seq);
    }
    return {
      clients: this.clients.length,
      up,
      reconnected,
      rejoined,
      lowestSeqByRoom: seqByRoom,
      attempts,
      connectErrors: { ...connectErrors },
      refusals: { ...refusals },
      joinFailures: { ...joinFailures },
      joinsGivenUp,
      recovered,
      notRecovered,
      messagesRecovered,
      listsLeftOut,
      joinAnswerBytes,
      events: { ...events },
      ...(withTimes && {
        times: this.clients.map((client) => ({ room: client.spec.room, ...client.read() })),
      }),
    };
  }

  close(): void {
    for (const client of this.clients.splice(0)) client.close();
  }
}

/**
 * The harness's sender of room messages: one connection per 100 rooms (the rooms a connection
 * may hold), joining each and sending `perRoom` messages to it, one at a time per room; answers
 * the newest seq of each room. `unavailable` and unanswered sends are sent again (same
 * clientMsgId, as the client library does).
 */
export async function seedRooms(
  url: string,
  workspace: string,
  rooms: string[],
  perRoom: number,
  token: string,
  timeoutMs: number,
): Promise<StormSeedReport> {
  const startedAt = performance.now();
  const report: StormSeedReport = {
    seqs: {},
    sent: 0,
    failed: 0,
    errors: [],
    elapsedMs: 0,
    joinsOnConnect: false,
  };
  const chunks: string[][] = [];
  for (let i = 0; i < rooms.length; i += 100) chunks.push(rooms.slice(i, i + 100));
  const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  await Promise.all(
    chunks.map((chunk, index) =>
      seedChunk(url, workspace, chunk, perRoom, token, timeoutMs, `${tag}-${index}`, report),
    ),
  );
  // A room of its own: the probe's user is left present there for the presence grace.
  report.joinsOnConnect = await answersJoinOnConnect(url, workspace, 'storm-probe', token);
  report.elapsedMs = performance.now() - startedAt;
  return report;
}

/**
 * Whether the server joins rooms in the handshake (`auth.join`, answered by `rooms:joined`):
 * Parley since it does; an older build ignores `join`, and is then given `room:join`s.
 */
function answersJoinOnConnect(
  url: string,
  workspace: string,
  room: string,
  token: string,
): Promise<boolean> {
  const namespace = chatNamespace(workspace);
  const ws = new WebSocket(websocketUrl(url), { perMessageDeflate: false });
  return new Promise<boolean>((resolve) => {
    const done = (answered: boolean) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(answered);
    };
    // An answer comes within a round trip to the store; an older build never answers.
    const timer = setTimeout(() => done(false), 3000);
    ws.on('error', () => done(false));
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      if (type === OPEN) {
        ws.send(`40${namespace},${JSON.stringify({ token, join: [{ room }] })}`);
      } else if (type === MESSAGE && data[1] === SIO_CONNECT_ERROR) {
        done(false);
      } else if (type === MESSAGE && data[1] === SIO_EVENT) {
        if (eventNameOf(data, data.indexOf(0x2c) + 1) === ServerEvent.RoomsJoined) done(true);
      }
    });
  });
}

function seedChunk(
  url: string,
  workspace: string,
  rooms: string[],
  perRoom: number,
  token: string,
  timeoutMs: number,
  tag: string,
  report: StormSeedReport,
): Promise<void> {
  const namespace = chatNamespace(workspace);
  const ws = new WebSocket(websocketUrl(url), { perMessageDeflate: false });
  const pending = new Map<number, (answer: JoinAnswer & { message?: { seq: number } }) => void>();
  let nextId = 0;
  const fail = (why: string) => {
    report.failed++;
    if (report.errors.length < 5) report.errors.push(why.slice(0, 300));
  };
  const request = (event: string, payload: unknown) =>
    new Promise<JoinAnswer & { message?: { seq: number } }>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'no_answer' } });
      }, ACK_TIMEOUT_MS);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      ws.send(`42${namespace},${id}["${event}",${JSON.stringify(payload)}]`);
    });
  return new Promise<void>((resolve) => {
    const deadline = setTimeout(() => {
      fail(`seeding not done within ${timeoutMs} ms`);
      ws.terminate();
    }, timeoutMs);
    const done = () => {
      clearTimeout(deadline);
      ws.terminate();
      resolve();
    };
    ws.on('error', (error) => fail(`seeder: ${error.message}`));
    ws.on('close', done);
    const seedRoom = async (room: string) => {
      for (let attempt = 0; ; attempt++) {
        const joined = await request(ClientEvent.RoomJoin, { room });
        if (joined.ok) {
          for (const entry of joined.messages ?? [])
            if (entry.seq !== undefined)
              report.seqs[room] = Math.max(report.seqs[room] ?? 0, entry.seq);
          break;
        }
        if (attempt >= RESEND_DELAYS_MS.length) return fail(`join ${room}: ${joined.error?.code}`);
        await new Promise((r) => setTimeout(r, RESEND_DELAYS_MS[attempt]));
      }
      for (let n = 0; n < perRoom; n++) {
        const payload = { room, text: `storm seed ${n}`, clientMsgId: `${tag}-${room}-${n}` };
        for (let attempt = 0; ; attempt++) {
          const answer = await request(ClientEvent.MessageSend, payload);
          if (answer.ok && answer.message) {
            report.sent++;
            report.seqs[room] = Math.max(report.seqs[room] ?? 0, answer.message.seq);
            break;
          }
          const code = answer.error?.code ?? 'unknown';
          const delay = RESEND_DELAYS_MS[attempt];
          if ((code !== ErrorCode.Unavailable && code !== 'no_answer') || delay === undefined) {
            fail(`send to ${room}: ${code}`);
            break;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    };
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      if (type === OPEN) {
        ws.send(`40${namespace},${JSON.stringify({ token })}`);
      } else if (type === PING && data.length === 1) {
        ws.send('3');
      } else if (type === MESSAGE && data[1] === SIO_CONNECT_ERROR) {
        fail(`seeder refused: ${data.toString().slice(0, 200)}`);
        done();
      } else if (type === MESSAGE && data[1] === SIO_CONNECT) {
        Promise.all(rooms.map(seedRoom)).then(done, (error: unknown) => {
          fail(String(error));
          done();
        });
      } else if (type === MESSAGE && data[1] === SIO_ACK) {
        const comma = data.indexOf(0x2c);
        let i = comma + 1;
        let id = 0;
        for (; i < data.length; i++) {
          const digit = (data[i] as number) - 0x30;
          if (digit < 0 || digit > 9) break;
          id = id * 10 + digit;
        }
        const waiting = pending.get(id);
        if (!waiting) return;
        pending.delete(id);
        try {
          waiting((JSON.parse(data.toString('utf8', i)) as JoinAnswer[])[0] ?? { ok: false });
        } catch {
          waiting({ ok: false, error: { code: 'unparsed' } });
        }
      }
    });
  });
}
