import {
  type AckOf,
  type ErrorBody,
  ErrorCode,
  LIMITS,
  type Member,
  type Message,
  type ServerEventName,
  type ServerPayloadOf,
} from '@parley/protocol';
import { type ChatSocket, createChatClient, request } from '@parley/protocol/client';
import { newClientMsgId } from './ids';
import {
  type ChatMessage,
  contiguousSeq,
  gapBefore,
  keepUnsent,
  localMessage,
  mergeStored,
  newestSeq,
  oldestSeq,
  updateLocal,
} from './messages';
import {
  type AskedPage,
  emptyDirectory,
  firstPage,
  nextPage,
  pageArrived,
  pageFailed,
  pagePayload,
  type RoomDirectory,
  roomUpdated,
} from './room-directory';
import { describeError } from './words';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface TypingEntry {
  user: Member;
  until: number;
}

/** A transient event a backend published to the room (a progress bar, a price…). */
export interface LiveEvent {
  type: string;
  data: unknown;
  receivedAt: number;
}

// The newest event of each type is kept; a room rarely has more than a few types.
const LIVE_EVENT_TYPES_KEPT = 5;

export interface RoomView {
  name: string;
  topic: string | null;
  memberCount: number;
  /** Newest `seq` the server reported; messages may not reach back that far yet. */
  lastSeq: number;
  messages: ChatMessage[];
  members: Member[];
  typing: TypingEntry[];
  /** The newest live event of each type, newest first. */
  liveEvents: LiveEvent[];
  hasMore: boolean;
  loadingOlder: boolean;
  unread: number;
  joined: boolean;
  error?: string;
}

export interface WorkspaceSnapshot {
  workspace: string;
  me: Member;
  connection: ConnectionState;
  /** Why the connection is refused, when it is. */
  connectionError?: string;
  /** Rooms this tab has joined, in the order they were opened. */
  rooms: Readonly<Record<string, RoomView>>;
  /** The lobby's page(s) of the workspace's rooms, with live online counts. */
  roomDirectory: RoomDirectory;
  activeRoom: string | null;
}

export interface SessionSource {
  token(): string;
  me(): Member;
  /** Gets a fresh token after the server refused the current one; rejects if it cannot. */
  renew(): Promise<void>;
}

function emptyRoom(name: string): RoomView {
  return {
    name,
    topic: null,
    memberCount: 0,
    lastSeq: 0,
    messages: [],
    members: [],
    typing: [],
    liveEvents: [],
    hasMore: false,
    loadingOlder: false,
    unread: 0,
    joined: false,
  };
}

/**
 * One tab's connection to one workspace and everything it shows: joined rooms, their messages,
 * members and typing, the room directory, and the connection state. React reads it through
 * `subscribe` / `getSnapshot`; every change makes a new snapshot object.
 */
export class WorkspaceClient {
  readonly socket: ChatSocket;
  private snapshot: WorkspaceSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly joining = new Map<string, Promise<void>>();
  private readonly sending = new Set<string>();
  private readonly typingSentAt = new Map<string, number>();
  private typingSweep: ReturnType<typeof setInterval> | undefined;
  private renewing = false;
  private wantsRoomList = false;
  private readonly stopListening: () => void;

  constructor(
    serverUrl: string,
    readonly workspace: string,
    private readonly session: SessionSource,
  ) {
    this.snapshot = {
      workspace,
      me: session.me(),
      connection: 'connecting',
      rooms: {},
      roomDirectory: emptyDirectory(),
      activeRoom: null,
    };
    this.socket = createChatClient({ url: serverUrl, workspace, token: () => session.token() });
    this.socket.on('connect', this.onConnect);
    this.socket.on('disconnect', this.onDisconnect);
    this.socket.on('connect_error', this.onConnectError);
    // Every server event has its handler: the type fails to compile when one is missing.
    const serverEvents: { [E in ServerEventName]: (payload: ServerPayloadOf<E>) => void } = {
      'message:new': this.onMessage,
      'presence:joined': this.onPresenceJoined,
      'presence:left': this.onPresenceLeft,
      'typing:changed': this.onTyping,
      'room:updated': this.onRoomUpdated,
      'room:event': this.onRoomEvent,
      'server:shutdown': this.onServerShutdown,
      'connection:closing': this.onConnectionClosing,
    };
    this.stopListening = listen(this.socket, serverEvents);
    window.addEventListener('online', this.onBrowserOnline);
    window.addEventListener('offline', this.onBrowserOffline);
  }

  // ---- React's view ----

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): WorkspaceSnapshot => this.snapshot;

  dispose(): void {
    this.socket.off('connect', this.onConnect);
    this.socket.off('disconnect', this.onDisconnect);
    this.socket.off('connect_error', this.onConnectError);
    this.stopListening();
    window.removeEventListener('online', this.onBrowserOnline);
    window.removeEventListener('offline', this.onBrowserOffline);
    clearInterval(this.typingSweep);
    this.socket.disconnect();
    this.listeners.clear();
  }

  // ---- Actions ----

  /** Shows a room: joins it if needed and clears its unread count. */
  open(room: string): void {
    this.set({ activeRoom: room });
    if (this.snapshot.rooms[room]) {
      this.updateRoom(room, (view) => ({ ...view, unread: 0 }));
      return;
    }
    this.set({ rooms: { ...this.snapshot.rooms, [room]: emptyRoom(room) } });
    if (this.socket.connected) void this.join(room);
  }

  /** The room is no longer in view (but stays joined, counting unread messages). */
  blur(room: string): void {
    if (this.snapshot.activeRoom === room) this.set({ activeRoom: null });
  }

  async leave(room: string): Promise<void> {
    const { [room]: _left, ...rest } = this.snapshot.rooms;
    this.set({
      rooms: rest,
      activeRoom: this.snapshot.activeRoom === room ? null : this.snapshot.activeRoom,
    });
    if (this.socket.connected) await request(this.socket, 'room:leave', { room });
  }

  /** Sends trimmed, already validated text; shows it at once as pending. */
  send(room: string, text: string): void {
    const message = localMessage(this.snapshot.me, text, newClientMsgId());
    this.updateRoom(room, (view) => ({ ...view, messages: [...view.messages, message] }));
    this.typingSentAt.delete(room);
    void this.deliver(room, message);
  }

  /** Sends a failed message again with the same `clientMsgId`: never a duplicate. */
  retry(room: string, key: string): void {
    const message = this.snapshot.rooms[room]?.messages.find((m) => m.key === key);
    if (message) void this.deliver(room, message);
  }

  async loadOlder(room: string): Promise<void> {
    const view = this.snapshot.rooms[room];
    const before = view && oldestSeq(view.messages);
    if (
      !view ||
      view.loadingOlder ||
      !view.hasMore ||
      before === undefined ||
      !this.socket.connected
    )
      return;
    this.updateRoom(room, (current) => ({ ...current, loadingOlder: true }));
    const result = await request(this.socket, 'message:history', {
      room,
      before,
      limit: LIMITS.historyPageDefault,
    });
    this.updateRoom(room, (current) =>
      result.ok
        ? {
            ...current,
            loadingOlder: false,
            hasMore: result.hasMore,
            messages: mergeStored(current.messages, result.messages),
          }
        : { ...current, loadingOlder: false },
    );
  }

  /** Says typing at most every `typingRefreshMs`, and "stopped" once. */
  setTyping(room: string, typing: boolean): void {
    if (!this.socket.connected || !this.snapshot.rooms[room]?.joined) return;
    const lastSent = this.typingSentAt.get(room);
    if (typing) {
      if (lastSent !== undefined && Date.now() - lastSent < LIMITS.typingRefreshMs) return;
      this.typingSentAt.set(room, Date.now());
    } else {
      if (lastSent === undefined) return;
      this.typingSentAt.delete(room);
    }
    this.socket.volatile.emit('typing:set', { room, typing });
  }

  /**
   * Shows the workspace's room directory: the first page of its search now and after every
   * reconnect. Listing makes the socket a lobby that hears every room's count, so only tabs
   * that show it ask.
   */
  watchRoomList(): void {
    this.wantsRoomList = true;
    this.searchRooms(this.snapshot.roomDirectory.query);
  }

  /** Lists the rooms whose names start with `prefix` (a valid prefix), from the first page. */
  searchRooms(prefix: string): void {
    void this.listRooms(firstPage(this.snapshot.roomDirectory, prefix));
  }

  /** Adds the directory's next page, unless it has none or a page is on its way. */
  showMoreRooms(): void {
    const asked = this.socket.connected && nextPage(this.snapshot.roomDirectory);
    if (asked) void this.listRooms(asked);
  }

  private async listRooms({ directory, page }: AskedPage): Promise<void> {
    this.set({ roomDirectory: directory });
    // Offline, the search is kept: the reconnect asks for it, superseding this request.
    if (!this.socket.connected) return;
    const result = await request(this.socket, 'room:list', pagePayload(page));
    const current = this.snapshot.roomDirectory;
    // A request lost to a disconnect needs no word: the banner says so, the reconnect asks again.
    const next = result.ok
      ? pageArrived(current, page.id, result)
      : pageFailed(current, page.id, this.socket.connected ? result.error : null);
    if (next !== current) this.set({ roomDirectory: next });
  }

  // ---- Connection ----

  private readonly onConnect = (): void => {
    this.set({ connection: 'connected', connectionError: undefined });
    if (this.wantsRoomList) this.searchRooms(this.snapshot.roomDirectory.query);
    for (const room of Object.keys(this.snapshot.rooms)) void this.join(room);
  };

  private readonly onDisconnect = (reason: string): void => {
    this.set({ connection: reason === 'io client disconnect' ? 'offline' : 'reconnecting' });
    this.typingSentAt.clear();
    for (const room of Object.keys(this.snapshot.rooms)) {
      this.updateRoom(room, (view) => ({ ...view, joined: false, typing: [] }));
    }
    // The server only disconnects on purpose when it wants the client elsewhere: come back.
    if (reason === 'io server disconnect') this.socket.connect();
  };

  private readonly onConnectError = (error: Error & { data?: { code?: string } }): void => {
    const code = error.data?.code;
    if (code === ErrorCode.Unauthorized && !this.renewing) {
      this.renewing = true;
      this.session.renew().then(
        () => {
          this.renewing = false;
          this.set({ me: this.session.me() });
          this.socket.connect();
        },
        () => {
          this.renewing = false;
          this.set({
            connection: 'offline',
            connectionError: 'Your session has expired. Pick your name again.',
          });
        },
      );
      return;
    }
    if (code === ErrorCode.Forbidden) {
      this.set({
        connection: 'offline',
        connectionError: "You don't have access to this workspace.",
      });
      return;
    }
    this.set({ connection: this.socket.active ? 'reconnecting' : 'offline' });
  };

  private readonly onServerShutdown = (): void => {
    this.set({ connection: 'reconnecting' });
  };

  /**
   * The server closes this connection next, and says why. Whatever the reason, the disconnect
   * that follows brings the tab back (an expired token is renewed when the server refuses it).
   */
  private readonly onConnectionClosing = (): void => {
    this.set({ connection: 'reconnecting' });
  };

  private readonly onBrowserOffline = (): void => {
    this.set({ connection: 'offline' });
  };

  private readonly onBrowserOnline = (): void => {
    if (this.socket.connected) this.set({ connection: 'connected' });
    else {
      this.set({ connection: 'reconnecting' });
      if (!this.socket.active) this.socket.connect();
    }
  };

  /** Joins (or re-joins after a reconnect, catching up from the last unbroken `seq`). */
  private join(room: string): Promise<void> {
    const inFlight = this.joining.get(room);
    if (inFlight) return inFlight;
    const joining = this.joinOnce(room).finally(() => this.joining.delete(room));
    this.joining.set(room, joining);
    return joining;
  }

  private async joinOnce(room: string): Promise<void> {
    const known = this.snapshot.rooms[room];
    const since =
      known && newestSeq(known.messages) > 0 ? contiguousSeq(known.messages) : undefined;
    // The id at `since` lets the server tell a reset history (a restarted server) from ours.
    const sinceId = known?.messages.find((message) => message.seq === since)?.id;
    const result = await request(
      this.socket,
      'room:join',
      since === undefined ? { room } : { room, since, sinceId },
    );
    if (!this.snapshot.rooms[room]) {
      // Left while joining.
      if (result.ok) void request(this.socket, 'room:leave', { room });
      return;
    }
    if (!result.ok) {
      this.updateRoom(room, (view) => ({ ...view, error: describeError(result.error) }));
      return;
    }
    this.updateRoom(room, (view) => applyJoin(view, result));
    this.resendUnsent(room);
  }

  private resendUnsent(room: string): void {
    for (const message of this.snapshot.rooms[room]?.messages ?? []) {
      if (message.seq === undefined && message.delivery === 'pending')
        void this.deliver(room, message);
    }
  }

  private async deliver(room: string, message: ChatMessage): Promise<void> {
    if (!message.clientMsgId || this.sending.has(message.key)) return;
    this.updateRoom(room, (view) => ({
      ...view,
      messages: updateLocal(view.messages, message.key, { delivery: 'pending', error: undefined }),
    }));
    // Offline: it stays pending and goes out when the room is joined again.
    if (!this.socket.connected || !this.snapshot.rooms[room]?.joined) return;
    this.sending.add(message.key);
    const result = await request(this.socket, 'message:send', {
      room,
      text: message.text,
      clientMsgId: message.clientMsgId,
    });
    this.sending.delete(message.key);
    if (result.ok) {
      this.acceptStored(room, [result.message]);
      return;
    }
    const failure: ErrorBody = result.error;
    // Lost on the way (disconnect, timeout): keep it pending, it is resent on reconnect.
    const delivery =
      failure.code === ErrorCode.Unavailable && !this.socket.connected ? 'pending' : 'failed';
    this.updateRoom(room, (view) => ({
      ...view,
      messages: updateLocal(view.messages, message.key, {
        delivery,
        error: describeError(failure),
      }),
    }));
  }

  // ---- Server events ----

  private readonly onMessage = (message: Message): void => {
    const view = this.snapshot.rooms[message.room];
    if (!view) return;
    const gap = gapBefore(view.messages, message.seq, view.lastSeq, LIMITS.historyPageMax);
    this.acceptStored(message.room, [message]);
    if (message.author.id !== this.snapshot.me.id && this.snapshot.activeRoom !== message.room) {
      this.updateRoom(message.room, (current) => ({ ...current, unread: current.unread + 1 }));
    }
    if (gap) void this.fillGap(message.room, gap);
  };

  private async fillGap(room: string, gap: { before: number; limit: number }): Promise<void> {
    const result = await request(this.socket, 'message:history', { room, ...gap });
    if (result.ok) this.acceptStored(room, result.messages);
  }

  private acceptStored(room: string, messages: Message[]): void {
    const authors = new Set(messages.map((m) => m.author.id));
    this.updateRoom(room, (view) => ({
      ...view,
      messages: mergeStored(view.messages, messages),
      lastSeq: Math.max(view.lastSeq, ...messages.map((m) => m.seq)),
      // Whoever just sent has stopped typing.
      typing: view.typing.filter((entry) => !authors.has(entry.user.id)),
    }));
  }

  private readonly onPresenceJoined = ({
    room,
    member,
  }: ServerPayloadOf<'presence:joined'>): void => {
    this.updateRoom(room, (view) =>
      view.members.some((m) => m.id === member.id)
        ? view
        : { ...view, members: [...view.members, member] },
    );
  };

  private readonly onPresenceLeft = ({ room, member }: ServerPayloadOf<'presence:left'>): void => {
    this.updateRoom(room, (view) => ({
      ...view,
      members: view.members.filter((m) => m.id !== member.id),
      typing: view.typing.filter((entry) => entry.user.id !== member.id),
    }));
  };

  private readonly onTyping = ({ room, user, typing }: ServerPayloadOf<'typing:changed'>): void => {
    if (user.id === this.snapshot.me.id) return;
    this.updateRoom(room, (view) => {
      const others = view.typing.filter((entry) => entry.user.id !== user.id);
      return {
        ...view,
        typing: typing ? [...others, { user, until: Date.now() + LIMITS.typingTimeoutMs }] : others,
      };
    });
    if (typing) this.startTypingSweep();
  };

  private readonly onRoomUpdated = ({
    room,
    topic,
    memberCount,
  }: ServerPayloadOf<'room:updated'>): void => {
    const directory = roomUpdated(this.snapshot.roomDirectory, { name: room, topic, memberCount });
    if (directory !== this.snapshot.roomDirectory) this.set({ roomDirectory: directory });
    this.updateRoom(room, (view) => ({ ...view, topic, memberCount }));
  };

  private readonly onRoomEvent = ({ room, type, data }: ServerPayloadOf<'room:event'>): void => {
    this.updateRoom(room, (view) => ({
      ...view,
      liveEvents: [
        { type, data, receivedAt: Date.now() },
        ...view.liveEvents.filter((event) => event.type !== type),
      ].slice(0, LIVE_EVENT_TYPES_KEPT),
    }));
  };

  /** Typing indicators expire on their own: a typist whose tab died never sends "stopped". */
  private startTypingSweep(): void {
    if (this.typingSweep) return;
    this.typingSweep = setInterval(() => {
      const now = Date.now();
      let anyLeft = false;
      for (const [name, view] of Object.entries(this.snapshot.rooms)) {
        if (view.typing.length === 0) continue;
        const live = view.typing.filter((entry) => entry.until > now);
        if (live.length !== view.typing.length)
          this.updateRoom(name, (current) => ({ ...current, typing: live }));
        anyLeft ||= live.length > 0;
      }
      if (!anyLeft) {
        clearInterval(this.typingSweep);
        this.typingSweep = undefined;
      }
    }, 1000);
  }

  // ---- State ----

  private set(change: Partial<WorkspaceSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  private updateRoom(room: string, change: (view: RoomView) => RoomView): void {
    const view = this.snapshot.rooms[room];
    if (!view) return;
    const next = change(view);
    if (next !== view) this.set({ rooms: { ...this.snapshot.rooms, [room]: next } });
  }
}

/** Subscribes a table of handlers, one per server event; answers the unsubscription. */
function listen(
  socket: ChatSocket,
  handlers: { [E in ServerEventName]: (payload: ServerPayloadOf<E>) => void },
): () => void {
  // socket.io-client's typed `on` cannot follow a name taken from a loop; the table's type
  // already pairs every event with a handler of its payload.
  const emitter = socket as unknown as {
    on(event: string, handler: (payload: never) => void): void;
    off(event: string, handler: (payload: never) => void): void;
  };
  const entries = Object.entries(handlers);
  for (const [event, handler] of entries) emitter.on(event, handler);
  return () => {
    for (const [event, handler] of entries) emitter.off(event, handler);
  };
}

/** A join's answer applied to what the tab already had. */
function applyJoin(view: RoomView, result: Extract<AckOf<'room:join'>, { ok: true }>): RoomView {
  return {
    ...view,
    joined: true,
    error: undefined,
    topic: result.room.topic,
    memberCount: result.room.memberCount,
    lastSeq: result.room.lastSeq,
    members: result.members,
    // Recovered: what came after what we had. Not recovered: a fresh page replaces it all.
    messages: result.recovered
      ? mergeStored(view.messages, result.messages)
      : mergeStored(keepUnsent(view.messages), result.messages),
    hasMore: result.recovered && newestSeq(view.messages) > 0 ? view.hasMore : result.hasMore,
  };
}
