import {
  type AckOf,
  ClientEvent,
  type ClientEventName,
  ERROR_CODES,
  type ErrorBody,
  ErrorCode,
  errorBody,
  fail,
  LIMITS,
  type Member,
  MessageText,
  type PayloadInputOf,
  type Role,
  ServerEvent,
  type ServerEventName,
  type ServerPayloadOf,
  type Visibility,
} from '@parley/protocol';
import {
  type ChatSocket,
  createChatClient,
  DEFAULT_ACK_TIMEOUT_MS,
  RESEND_DELAYS_MS,
  request,
} from '@parley/protocol/client';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import {
  type ConnectionEffect,
  type ConnectionEvent,
  type ConnectionState,
  connectionStep,
  initialConnection,
  retryDelay,
} from './connection';
import { newClientMsgId } from './ids';
import { listen, type ServerEventHandlers } from './listen';
import { localByKey, toResend } from './outbox';
import { emptyRoom, type RoomAction, type RoomState, roomReducer } from './room';
import {
  type AskedPage,
  emptyDirectory,
  firstPage,
  knownUnlisted,
  nextPage,
  pageArrived,
  pageFailed,
  pagePayload,
  type RoomDirectory,
  roomGone,
  roomUpdated,
  searchPrefix,
} from './room-directory';
import { SessionError, type SessionSource } from './session';
import { gapRequest, localMessage, oldestSeq, resumePoint } from './timeline';
import { nextExpiry, typingDecision } from './typing';

export interface ParleyClientOptions {
  /** The server's base URL, e.g. `http://localhost:3001`. */
  url: string;
  workspace: string;
  session: SessionSource;
  /** Socket.IO transports, in the order tried (its default: polling, then an upgrade). */
  transports?: ('polling' | 'websocket' | 'webtransport')[];
  /**
   * Socket.IO options, over the client's defaults: reconnection from 1 s to 5 s, randomised by
   * ±50 % (`randomizationFactor`) so a reconnect storm after a node dies spreads out.
   */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** How long to wait for an acknowledgement before taking it as `unavailable`. */
  ackTimeoutMs?: number;
  /** Connect at once (default), or wait for `connect()`. */
  autoConnect?: boolean;
  /** The clock (ms since the epoch); tests may fix it. */
  now?: () => number;
}

/** News for this user: they were given a role in a room (or it changed). */
export interface RoleChange {
  /** Tells one change from the next, for a screen that announces each once. */
  id: number;
  room: string;
  /** Their role before, as this client knew it: null for none, undefined when it cannot tell. */
  previous: Role | null | undefined;
  role: Role;
}

/** Everything the client holds, as one immutable object: a new one after every change. */
export interface ParleySnapshot {
  workspace: string;
  /** Who this client is (a renewed guest session may be a new user). */
  me: Member;
  connection: ConnectionState;
  /** Rooms opened or joined, in the order they were; each object changes only with its room. */
  rooms: Readonly<Record<string, RoomState>>;
  /** The room in view, whose messages count as read as they come. */
  activeRoom: string | null;
  /** The lobby's pages of the workspace's rooms, with live online counts. */
  roomDirectory: RoomDirectory;
  /** The latest change of this user's role in a room. */
  roleChange: RoleChange | null;
}

export interface ParleyClient {
  readonly workspace: string;
  /** The socket, for what the client does not wrap; prefer `request` and `on`. */
  readonly socket: ChatSocket;
  /** Calls `listener` after every change of the snapshot; answers the unsubscription. */
  subscribe(listener: () => void): () => void;
  getSnapshot(): ParleySnapshot;

  /** Opens the connection (after `autoConnect: false` or `disconnect()`). */
  connect(): void;
  /** Closes it; rooms stay and are joined again on `connect()`. */
  disconnect(): void;

  /** Joins a room (now, or once connected), and again after every reconnection. */
  join(room: string): void;
  /** Joins a room and puts it in view: its unread count goes to 0 and stays there. */
  open(room: string): void;
  /** The room is no longer in view (it stays joined, counting unread messages). */
  blur(room: string): void;
  /** Leaves a room and forgets it. */
  leave(room: string): Promise<ErrorBody | null>;

  /**
   * Sends a message: shown at once as pending, then sent (stored, with its `seq`) or failed
   * (with the error). Joins the room if needed. Answers the message's `key`.
   */
  send(room: string, text: string): string;
  /** Sends a failed message again, with the same `clientMsgId`: never a duplicate. */
  retry(room: string, key: string): void;
  /** Edits one of this user's stored messages; answers the error, or null once stored. */
  edit(room: string, key: string, text: string): Promise<ErrorBody | null>;
  /** Deletes a stored message (one's own, or anyone's as a moderator); null once done. */
  delete(room: string, key: string): Promise<ErrorBody | null>;
  /** Fetches the page of messages before the oldest held. */
  loadOlder(room: string): Promise<void>;
  /** Says whether this user is typing (call it on every keystroke: it is throttled). */
  setTyping(room: string, typing: boolean): void;

  /** Shows the room list: its first page now and after every reconnection. */
  watchRoomList(): void;
  /** Stops asking for the room list after reconnections. */
  unwatchRoomList(): void;
  /** Lists the rooms whose names start with `prefix`, from the first page. */
  searchRooms(prefix: string): void;
  /** Adds the next page of the room list, unless it has none or one is on its way. */
  showMoreRooms(): void;

  /** Any client event, typed; `unavailable` at once when not connected. */
  request<E extends ClientEventName>(event: E, payload: PayloadInputOf<E>): Promise<AckOf<E>>;
  /** Listens to a server event, typed; answers the unsubscription. */
  on<E extends ServerEventName>(
    event: E,
    handler: (payload: ServerPayloadOf<E>) => void,
  ): () => void;

  /** Closes the connection and stops everything; the client is not used again. */
  dispose(): void;
}

/** Join answers worth trying again a few times while connected. */
const RETRIED_JOIN = new Set<string>([ErrorCode.Unavailable, ErrorCode.RateLimited]);

interface WindowEvents {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * A client for one workspace over one socket: the connection (with token renewal), the rooms it
 * joins (recovery after a reconnection, gaps, outbox, typing, presence, live events, unread
 * counts) and the room list, as a store any framework can read (`subscribe` / `getSnapshot`).
 * Works in browsers and in Node.
 */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const { url, workspace, session, ackTimeoutMs = DEFAULT_ACK_TIMEOUT_MS } = options;
  const now = options.now ?? Date.now;
  const socket = createChatClient({
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
    ...options.socketOptions,
    ...(options.transports && { transports: options.transports }),
    url,
    workspace,
    token: () => session.token(),
    // Connected once this function has returned (below): a client disposed at once, as React's
    // StrictMode does with effects, never opens a connection.
    autoConnect: false,
  });
  const autoConnect = options.autoConnect ?? true;

  let snapshot: ParleySnapshot = {
    workspace,
    me: session.me(),
    connection: autoConnect
      ? initialConnection()
      : { ...initialConnection(), status: 'offline', closed: true },
    rooms: {},
    activeRoom: null,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  };
  const listeners = new Set<() => void>();
  let disposed = false;

  /**
   * Counts connections lost: an answer to a request made on an earlier connection is stale (the
   * new connection joins again and resends), so it changes nothing.
   */
  let epoch = 0;
  const joining = new Map<string, Promise<void>>();
  const sending = new Set<string>();
  const gapsAsked = new Map<string, Set<number>>();
  const typingSent = new Map<string, number>();
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let typingTimerAt: number | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryAttempt = 0;
  let wantsRoomList = false;

  // ---- State ----

  function set(change: Partial<ParleySnapshot>): void {
    if (disposed) return;
    snapshot = { ...snapshot, ...change };
    for (const listener of [...listeners]) listener();
  }

  function dispatch(room: string, action: RoomAction): void {
    const state = snapshot.rooms[room];
    if (!state) return;
    const next = roomReducer(state, action);
    if (next === state) return;
    set({ rooms: { ...snapshot.rooms, [room]: next } });
    if (next.timeline.gaps !== state.timeline.gaps) fetchGaps(room);
    if (next.typing !== state.typing) scheduleTypingExpiry();
  }

  function addRoom(room: string): void {
    set({ rooms: { ...snapshot.rooms, [room]: emptyRoom(room) } });
  }

  // ---- Connection ----

  function step(event: ConnectionEvent): void {
    const { state, effects } = connectionStep(snapshot.connection, event);
    if (state !== snapshot.connection) set({ connection: state });
    for (const effect of effects) carryOut(effect);
  }

  function carryOut(effect: ConnectionEffect): void {
    if (disposed) return;
    switch (effect) {
      case 'connect':
        socket.connect();
        return;
      case 'reconnectNow':
        // Dropping the socket's pending retry and connecting now, rather than when it fires.
        clearTimeout(retryTimer);
        if (socket.active) socket.disconnect();
        socket.connect();
        return;
      case 'retryLater':
        clearTimeout(retryTimer);
        retryTimer = setTimeout(
          () => {
            if (!disposed && !snapshot.connection.closed && !socket.connected) socket.connect();
          },
          retryDelay(retryAttempt++, {
            minMs: options.socketOptions?.reconnectionDelay ?? 1000,
            maxMs: options.socketOptions?.reconnectionDelayMax ?? 5000,
            randomization: options.socketOptions?.randomizationFactor ?? 0.5,
          }),
        );
        return;
      case 'renew':
        void renew();
        return;
    }
  }

  async function renew(): Promise<void> {
    if (!session.renew) return step({ type: 'renewFailed', error: null });
    try {
      await session.renew();
    } catch (error) {
      if (!disposed) {
        step({ type: 'renewFailed', error: error instanceof SessionError ? error.error : null });
      }
      return;
    }
    if (disposed) return;
    set({ me: session.me() });
    step({ type: 'renewed' });
  }

  const onConnect = (): void => {
    retryAttempt = 0;
    clearTimeout(retryTimer);
    step({ type: 'connected' });
    if (wantsRoomList) searchRooms(snapshot.roomDirectory.query);
    for (const [room, state] of Object.entries(snapshot.rooms)) {
      if (!state.removed) void joinRoom(room);
    }
  };

  const onDisconnect = (reason: string): void => {
    epoch++;
    joining.clear();
    sending.clear();
    gapsAsked.clear();
    typingSent.clear();
    step({ type: 'disconnected', reason });
    for (const room of Object.keys(snapshot.rooms)) dispatch(room, { type: 'disconnected' });
  };

  const onConnectError = (error: Error & { data?: { code?: unknown } }): void => {
    const code = error.data?.code;
    const refusedByServer = (ERROR_CODES as readonly unknown[]).includes(code);
    step({
      type: 'connectError',
      error: errorBody(
        refusedByServer ? (code as ErrorCode) : ErrorCode.Unavailable,
        error.message,
      ),
      refusedByServer,
      active: socket.active,
    });
  };

  const onOnline = (): void => step({ type: 'online', connected: socket.connected });
  const onOffline = (): void => step({ type: 'offline' });

  // ---- Requests ----

  function call<E extends ClientEventName>(
    event: E,
    payload: PayloadInputOf<E>,
  ): Promise<AckOf<E>> {
    // Not buffered until a reconnection: by then the room must be joined again first.
    if (!socket.connected) {
      return Promise.resolve(fail(ErrorCode.Unavailable, 'not connected') as AckOf<E>);
    }
    return request(socket, event, payload, ackTimeoutMs);
  }

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // ---- Rooms ----

  /** Joins (or re-joins after a reconnection, catching up from the last unbroken `seq`). */
  function joinRoom(room: string): Promise<void> {
    const inFlight = joining.get(room);
    if (inFlight) return inFlight;
    const joined = joinOnce(room, epoch).finally(() => {
      if (joining.get(room) === joined) joining.delete(room);
    });
    joining.set(room, joined);
    return joined;
  }

  async function joinOnce(room: string, at: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const known = snapshot.rooms[room];
      if (!known || known.removed) return;
      // With the id at `since`, the server tells a reset history (a restarted server) from ours.
      const resume = resumePoint(known.timeline.messages);
      const result = await call(ClientEvent.RoomJoin, { room, ...resume });
      if (disposed || at !== epoch) return;
      if (!snapshot.rooms[room]) {
        // Left while joining.
        if (result.ok) void call(ClientEvent.RoomLeave, { room });
        return;
      }
      const delay = RESEND_DELAYS_MS[attempt];
      if (!result.ok && delay !== undefined && RETRIED_JOIN.has(result.error.code)) {
        await wait(result.error.retryAfterMs ?? delay);
        if (disposed || at !== epoch) return;
        continue;
      }
      gapsAsked.delete(room);
      dispatch(room, { type: 'join', result, me: snapshot.me.id });
      if (result.ok) {
        for (const message of toResend(snapshot.rooms[room]?.timeline.messages ?? [])) {
          void deliver(room, message.key);
        }
      }
      return;
    }
  }

  /** The server says this socket is not in the room: join it again (pending messages follow). */
  function rejoin(room: string): void {
    dispatch(room, { type: 'disconnected' });
    if (socket.connected) void joinRoom(room);
  }

  function join(room: string): void {
    if (disposed) return;
    const state = snapshot.rooms[room];
    if (!state) addRoom(room);
    else if (state.error || state.removed) dispatch(room, { type: 'open' });
    else if (state.joined) return;
    if (socket.connected) void joinRoom(room);
  }

  function open(room: string): void {
    join(room);
    const previous = snapshot.activeRoom;
    if (previous !== room) {
      set({ activeRoom: room });
      if (previous) dispatch(previous, { type: 'blur' });
    }
    dispatch(room, { type: 'focus' });
  }

  function blur(room: string): void {
    if (snapshot.activeRoom === room) set({ activeRoom: null });
    dispatch(room, { type: 'blur' });
  }

  async function leave(room: string): Promise<ErrorBody | null> {
    const state = snapshot.rooms[room];
    if (!state) return null;
    const { [room]: _left, ...rest } = snapshot.rooms;
    typingSent.delete(room);
    set({ rooms: rest, activeRoom: snapshot.activeRoom === room ? null : snapshot.activeRoom });
    // A join on its way leaves by itself when it finds the room gone.
    if (!state.joined) return null;
    const result = await call(ClientEvent.RoomLeave, { room });
    return result.ok || result.error.code === ErrorCode.NotJoined ? null : result.error;
  }

  // ---- Messages ----

  function send(room: string, text: string): string {
    if (!snapshot.rooms[room]) join(room);
    const checked = MessageText.safeParse(text);
    const message = localMessage(
      snapshot.me,
      checked.success ? checked.data : text,
      newClientMsgId(),
      new Date(now()).toISOString(),
    );
    dispatch(room, { type: 'send', message });
    // Sending ends typing for the server; the next keystroke says it again at once.
    typingSent.delete(room);
    if (!checked.success) {
      const problem = checked.error.issues[0]?.message ?? 'invalid text';
      const result = fail(ErrorCode.InvalidPayload, problem);
      dispatch(room, { type: 'sendAck', key: message.key, result, connected: socket.connected });
    } else {
      void deliver(room, message.key);
    }
    return message.key;
  }

  function retry(room: string, key: string): void {
    dispatch(room, { type: 'resend', key });
    void deliver(room, key);
  }

  /**
   * Sends a pending message, resending it with the same `clientMsgId` while the answer is
   * `unavailable` (outcome unknown) and the connection holds. Offline, or with the room not
   * joined, it stays pending: the (re)join sends it.
   */
  async function deliver(room: string, key: string): Promise<void> {
    if (sending.has(key)) return;
    const at = epoch;
    sending.add(key);
    try {
      for (let attempt = 0; ; attempt++) {
        const state = snapshot.rooms[room];
        const local = state && localByKey(state.timeline.messages, key);
        if (!state || !local?.clientMsgId || local.delivery !== 'pending') return;
        if (!socket.connected || !state.joined || state.removed) return;
        const result = await call(ClientEvent.MessageSend, {
          room,
          text: local.text,
          clientMsgId: local.clientMsgId,
        });
        if (disposed) return;
        if (at !== epoch) {
          // The connection that sent it is gone; the new one resends it. A stored answer holds.
          if (result.ok) dispatch(room, { type: 'sendAck', key, result, connected: true });
          return;
        }
        const delay = RESEND_DELAYS_MS[attempt];
        if (
          !result.ok &&
          result.error.code === ErrorCode.Unavailable &&
          delay !== undefined &&
          socket.connected
        ) {
          await wait(delay);
          if (disposed || at !== epoch) return;
          continue;
        }
        dispatch(room, { type: 'sendAck', key, result, connected: socket.connected });
        if (!result.ok && result.error.code === ErrorCode.NotJoined) rejoin(room);
        return;
      }
    } finally {
      if (at === epoch) sending.delete(key);
    }
  }

  function storedMessage(room: string, key: string): { seq: number; id: string } | undefined {
    const message = snapshot.rooms[room]?.timeline.messages.find(
      (known) => known.key === key && !known.hidden,
    );
    return message?.seq !== undefined && message.id !== undefined
      ? { seq: message.seq, id: message.id }
      : undefined;
  }

  async function change(
    room: string,
    key: string,
    ask: (target: {
      seq: number;
      id: string;
    }) => Promise<AckOf<'message:edit'> | AckOf<'message:delete'>>,
  ): Promise<ErrorBody | null> {
    const target = storedMessage(room, key);
    if (!target) return errorBody(ErrorCode.NotFound, 'no stored message with that key');
    const result = await ask(target);
    if (!result.ok) {
      if (result.error.code === ErrorCode.NotJoined) rejoin(room);
      return result.error;
    }
    dispatch(room, { type: 'changeAck', result, by: snapshot.me, now: now() });
    return null;
  }

  async function loadOlder(room: string): Promise<void> {
    const state = snapshot.rooms[room];
    if (!state?.joined || !socket.connected) return;
    const { timeline } = state;
    const before = oldestSeq(timeline.messages);
    if (timeline.loadingOlder || !timeline.hasMore || before === undefined) return;
    dispatch(room, { type: 'loadingOlder' });
    const result = await call(ClientEvent.MessageHistory, {
      room,
      before,
      limit: LIMITS.historyPageDefault,
    });
    dispatch(room, { type: 'history', purpose: { kind: 'older' }, result });
  }

  /** Fetches the room's gaps not asked for on this connection yet (a failure waits for a join). */
  function fetchGaps(room: string): void {
    const state = snapshot.rooms[room];
    if (!state?.joined || !socket.connected) return;
    let asked = gapsAsked.get(room);
    for (const gap of state.timeline.gaps) {
      if (asked?.has(gap.before)) continue;
      asked ??= new Set();
      gapsAsked.set(room, asked);
      asked.add(gap.before);
      const at = epoch;
      void call(ClientEvent.MessageHistory, { room, ...gapRequest(gap) }).then((result) => {
        if (!disposed && at === epoch) {
          dispatch(room, { type: 'history', purpose: { kind: 'gap', gap }, result });
        }
      });
    }
  }

  // ---- Typing ----

  function setTyping(room: string, typing: boolean): void {
    if (!socket.connected || !snapshot.rooms[room]?.joined) return;
    const decision = typingDecision(typingSent.get(room), typing, now());
    if (decision.sentAt === undefined) typingSent.delete(room);
    else typingSent.set(room, decision.sentAt);
    if (decision.send !== null) {
      socket.volatile.emit(ClientEvent.TypingSet, { room, typing: decision.send });
    }
  }

  /** Others' typing runs out by itself: one timer, for whichever entry runs out first. */
  function scheduleTypingExpiry(): void {
    const next = nextExpiry(Object.values(snapshot.rooms).map((room) => room.typing));
    if (next === typingTimerAt || disposed) return;
    clearTimeout(typingTimer);
    typingTimerAt = next;
    if (next === undefined) return;
    typingTimer = setTimeout(
      () => {
        typingTimerAt = undefined;
        const at = now();
        for (const room of Object.keys(snapshot.rooms)) {
          dispatch(room, { type: 'typingExpired', now: at });
        }
        scheduleTypingExpiry();
      },
      Math.max(0, next - now()) + 1,
    );
  }

  // ---- Room list ----

  function searchRooms(prefix: string): void {
    void listRooms(firstPage(snapshot.roomDirectory, searchPrefix(prefix)));
  }

  function showMoreRooms(): void {
    const asked = socket.connected && nextPage(snapshot.roomDirectory);
    if (asked) void listRooms(asked);
  }

  async function listRooms({ directory, page }: AskedPage): Promise<void> {
    set({ roomDirectory: directory });
    // Offline, the search is kept: the reconnection asks for it, superseding this request.
    if (!socket.connected) return;
    const result = await call(ClientEvent.RoomList, pagePayload(page));
    const current = snapshot.roomDirectory;
    // A request lost to a disconnection has nothing to tell: the reconnection asks again.
    const next = result.ok
      ? pageArrived(current, page.id, result)
      : pageFailed(current, page.id, socket.connected ? result.error : null);
    if (next !== current) set({ roomDirectory: next });
  }

  /**
   * This user's role in a room before a `room:role`, as far as this client knows: null when they
   * had none, undefined when it cannot tell (the room is not joined here).
   */
  function roleBefore(room: string, visibility: Visibility): Role | null | undefined {
    const state = snapshot.rooms[room];
    if (state?.joined) return state.details.role;
    if (state?.error?.code === ErrorCode.Forbidden) return null;
    // A private room is listed only to its members: missing from a list that reaches where it
    // would be, it was not theirs.
    if (visibility === 'private' && knownUnlisted(snapshot.roomDirectory, room)) return null;
    return undefined;
  }

  // ---- Server events ----

  const handlers: ServerEventHandlers = {
    [ServerEvent.MessageNew]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageNew, payload, me: snapshot.me.id }),
    [ServerEvent.MessageUpdated]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageUpdated, payload }),
    [ServerEvent.MessageDeleted]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.MessageDeleted, payload, now: now() }),
    [ServerEvent.PresenceJoined]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.PresenceJoined, payload }),
    [ServerEvent.PresenceLeft]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.PresenceLeft, payload }),
    [ServerEvent.TypingChanged]: (payload) =>
      dispatch(payload.room, {
        type: ServerEvent.TypingChanged,
        payload,
        me: snapshot.me.id,
        now: now(),
      }),
    [ServerEvent.RoomUpdated]: (payload) => {
      const { room: name, ...summary } = payload;
      const directory = roomUpdated(snapshot.roomDirectory, { name, ...summary });
      if (directory !== snapshot.roomDirectory) set({ roomDirectory: directory });
      dispatch(name, { type: ServerEvent.RoomUpdated, payload });
    },
    [ServerEvent.RoomEvent]: (payload) =>
      dispatch(payload.room, { type: ServerEvent.RoomEvent, payload, now: now() }),
    [ServerEvent.ServerShutdown]: () => step({ type: ServerEvent.ServerShutdown }),
    [ServerEvent.ConnectionClosing]: ({ reason }) =>
      step({ type: ServerEvent.ConnectionClosing, reason }),
    [ServerEvent.RoomRemoved]: (payload) => {
      const { room } = payload;
      typingSent.delete(room);
      // A private room is listed for members only; a public one stays listed, ban or not.
      if (snapshot.rooms[room]?.details.visibility === 'private') {
        set({ roomDirectory: roomGone(snapshot.roomDirectory, room) });
      }
      dispatch(room, { type: ServerEvent.RoomRemoved, payload });
    },
    [ServerEvent.RoomRole]: (payload) => {
      const { room: name, role, ...summary } = payload;
      const previous = roleBefore(name, payload.visibility);
      set({
        roomDirectory: roomUpdated(snapshot.roomDirectory, { name, ...summary }),
        roleChange:
          previous === role
            ? snapshot.roleChange
            : { id: (snapshot.roleChange?.id ?? 0) + 1, room: name, previous, role },
      });
      const refused = snapshot.rooms[name]?.error?.code === ErrorCode.Forbidden;
      dispatch(name, { type: ServerEvent.RoomRole, payload });
      // A room whose door was shut on this client is tried again: being added may open it.
      if (refused) join(name);
    },
  };

  const stopListening = listen(socket, handlers);
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  // Browsers say when the network comes back: reconnect then rather than at the next retry.
  // (Node has no such events: `globalThis.addEventListener` is not there.)
  const scope = globalThis as Partial<WindowEvents>;
  const windowEvents: WindowEvents | undefined =
    typeof scope.addEventListener === 'function' && typeof scope.removeEventListener === 'function'
      ? {
          addEventListener: scope.addEventListener.bind(globalThis),
          removeEventListener: scope.removeEventListener.bind(globalThis),
        }
      : undefined;
  windowEvents?.addEventListener('online', onOnline);
  windowEvents?.addEventListener('offline', onOffline);

  function connect(): void {
    if (!disposed) step({ type: 'open' });
  }

  function disconnect(): void {
    if (disposed) return;
    clearTimeout(retryTimer);
    step({ type: 'close' });
    socket.disconnect();
  }

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    stopListening();
    socket.off('connect', onConnect);
    socket.off('disconnect', onDisconnect);
    socket.off('connect_error', onConnectError);
    windowEvents?.removeEventListener('online', onOnline);
    windowEvents?.removeEventListener('offline', onOffline);
    clearTimeout(typingTimer);
    clearTimeout(retryTimer);
    socket.disconnect();
    listeners.clear();
  }

  if (autoConnect) queueMicrotask(connect);

  return {
    workspace,
    socket,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshot,
    connect,
    disconnect,
    join,
    open,
    blur,
    leave,
    send,
    retry,
    edit: (room, key, text) =>
      change(room, key, (target) => call(ClientEvent.MessageEdit, { room, ...target, text })),
    delete: (room, key) =>
      change(room, key, (target) => call(ClientEvent.MessageDelete, { room, ...target })),
    loadOlder,
    setTyping,
    watchRoomList() {
      wantsRoomList = true;
      searchRooms(snapshot.roomDirectory.query);
    },
    unwatchRoomList() {
      wantsRoomList = false;
    },
    searchRooms,
    showMoreRooms,
    request: call,
    on(event, handler) {
      return listen(socket, { [event]: handler } as Partial<ServerEventHandlers>);
    },
    dispose,
  };
}
