import {
  type AckOf,
  type ErrorBody,
  ErrorCode,
  type HistoryEntry,
  LIMITS,
  type Member,
  type Message,
  type Role,
  type ServerPayloadOf,
  type Visibility,
} from '@parley/protocol';
import { type ChatSocket, createChatClient, request, sendMessage } from '@parley/protocol/client';
import { newClientMsgId } from './ids';
import { listen, type ServerEventHandlers } from './listen';
import {
  type ChatMessage,
  localMessage,
  mergeStored,
  oldestSeq,
  resumePoint,
  updateLocal,
} from './messages';
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
} from './room-directory';
import {
  applyJoin,
  emptyRoom,
  missingBefore,
  type RoomView,
  withDeletion,
  withEdit,
  withLiveEvent,
  withOwnChange,
  withPresence,
  withRole,
  withRoomUpdate,
  withStored,
  withTyping,
} from './room-view';
import { describeError, removalLine, roleChangeLine } from './words';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

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
  /** Something to tell whatever screen shows: why this user left a room without asking to. */
  notice: Notice | null;
  /** News to read out politely, without taking focus: a role given to this user. */
  announcement: Announcement | null;
}

export interface Notice {
  /** Tells one notice from the next, for a screen that moves focus to it. */
  id: number;
  room: string;
  text: string;
}

export interface Announcement {
  /** Tells one announcement from the next, so a screen reads only those made while it shows. */
  id: number;
  text: string;
}

export interface SessionSource {
  token(): string;
  me(): Member;
  /** Gets a fresh token after the server refused the current one; rejects if it cannot. */
  renew(): Promise<void>;
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
      notice: null,
      announcement: null,
    };
    this.socket = createChatClient({ url: serverUrl, workspace, token: () => session.token() });
    this.socket.on('connect', this.onConnect);
    this.socket.on('disconnect', this.onDisconnect);
    this.socket.on('connect_error', this.onConnectError);
    // Every server event has its handler: the type fails to compile when one is missing.
    const serverEvents: ServerEventHandlers = {
      'message:new': this.onMessage,
      'presence:joined': this.onPresenceJoined,
      'presence:left': this.onPresenceLeft,
      'typing:changed': this.onTyping,
      'room:updated': this.onRoomUpdated,
      'room:event': this.onRoomEvent,
      'server:shutdown': this.onServerShutdown,
      'connection:closing': this.onConnectionClosing,
      'message:updated': this.onMessageUpdated,
      'message:deleted': this.onMessageDeleted,
      'room:removed': this.onRoomRemoved,
      'room:role': this.onRoomRole,
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
    // Coming back to a room one was removed from: the join answers whether that still holds.
    const notice = this.snapshot.notice?.room === room ? null : this.snapshot.notice;
    this.set({ activeRoom: room, notice });
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

  /** Edits one of this user's messages; answers why not, or null once the server has it. */
  async editMessage(room: string, key: string, text: string): Promise<string | null> {
    const target = this.storedMessage(room, key);
    if (!target) return 'That message is no longer here.';
    const result = await request(this.socket, 'message:edit', { room, ...target, text });
    return this.changed(room, result);
  }

  /** Deletes a message (one's own, or anyone's as a moderator): answers why not, or null. */
  async deleteMessage(room: string, key: string): Promise<string | null> {
    const target = this.storedMessage(room, key);
    if (!target) return 'That message is no longer here.';
    return this.changed(room, await request(this.socket, 'message:delete', { room, ...target }));
  }

  private storedMessage(room: string, key: string): { seq: number; id: string } | undefined {
    const message = this.snapshot.rooms[room]?.messages.find((m) => m.key === key);
    return message?.seq !== undefined && message.id !== undefined
      ? { seq: message.seq, id: message.id }
      : undefined;
  }

  /**
   * The changed message from the answer, with the change entry's `seq`: the server skips this
   * socket when it announces the change, so the answer is all it hears of that `seq`. A hole
   * before it is entries missed meanwhile (or on their way): fetched as for any other entry.
   */
  private changed(
    room: string,
    result: AckOf<'message:edit'> | AckOf<'message:delete'>,
  ): string | null {
    if (!result.ok) return describeError(result.error, room);
    const view = this.snapshot.rooms[room];
    const gap =
      view && result.changeSeq !== undefined ? missingBefore(view, result.changeSeq) : undefined;
    this.updateRoom(room, (current) => withOwnChange(current, result, this.snapshot.me));
    if (gap) void this.fillGap(room, gap);
    return null;
  }

  dismissNotice(): void {
    if (this.snapshot.notice) this.set({ notice: null });
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
    // With the id at `since`, the server tells a reset history (a restarted server) from ours.
    const resume = known && resumePoint(known.messages);
    const result = await request(this.socket, 'room:join', { room, ...resume });
    if (!this.snapshot.rooms[room]) {
      // Left while joining.
      if (result.ok) void request(this.socket, 'room:leave', { room });
      return;
    }
    if (!result.ok) {
      const refused = result.error.code === ErrorCode.Forbidden || undefined;
      const error = describeError(result.error, room);
      this.updateRoom(room, (view) => ({ ...view, error, refused }));
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
    // Resent with the same clientMsgId while the answer is `unavailable` (outcome unknown):
    // it stays pending meanwhile, and is stored once whatever happened to the first try.
    const result = await sendMessage(this.socket, {
      room,
      text: message.text,
      clientMsgId: message.clientMsgId,
    });
    this.sending.delete(message.key);
    if (result.ok) {
      // A hole before one's own message is entries this socket missed (or that are on their
      // way): fill it now rather than at the next re-join.
      const view = this.snapshot.rooms[room];
      const gap = view && missingBefore(view, result.message.seq);
      this.acceptStored(room, [result.message]);
      if (gap) void this.fillGap(room, gap);
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
        error: describeError(failure, room),
      }),
    }));
  }

  // ---- Server events ----

  private readonly onMessage = (message: Message): void => {
    const view = this.snapshot.rooms[message.room];
    if (!view) return;
    const gap = missingBefore(view, message.seq);
    this.acceptStored(message.room, [message]);
    if (message.author.id !== this.snapshot.me.id && this.snapshot.activeRoom !== message.room) {
      this.updateRoom(message.room, (current) => ({ ...current, unread: current.unread + 1 }));
    }
    if (gap) void this.fillGap(message.room, gap);
  };

  /** An edit is an entry of the log too: a jump in its `seq` means entries were missed. */
  private readonly onMessageUpdated = (payload: ServerPayloadOf<'message:updated'>): void => {
    const view = this.snapshot.rooms[payload.room];
    if (!view) return;
    const gap = missingBefore(view, payload.changeSeq);
    this.updateRoom(payload.room, (current) => withEdit(current, payload));
    if (gap) void this.fillGap(payload.room, gap);
  };

  private readonly onMessageDeleted = (payload: ServerPayloadOf<'message:deleted'>): void => {
    const view = this.snapshot.rooms[payload.room];
    if (!view) return;
    const gap = missingBefore(view, payload.changeSeq);
    this.updateRoom(payload.room, (current) => withDeletion(current, payload));
    if (gap) void this.fillGap(payload.room, gap);
  };

  private async fillGap(room: string, gap: { before: number; limit: number }): Promise<void> {
    const result = await request(this.socket, 'message:history', { room, ...gap });
    if (result.ok) this.acceptStored(room, result.messages);
  }

  private acceptStored(room: string, entries: HistoryEntry[]): void {
    this.updateRoom(room, (view) => withStored(view, entries));
  }

  /**
   * This user was removed from the room (every tab of theirs hears it): the server has taken
   * the socket out, so the room goes, and the screen tells why.
   */
  private readonly onRoomRemoved = ({ room, reason, until }: ServerPayloadOf<'room:removed'>) => {
    const { [room]: removed, ...rest } = this.snapshot.rooms;
    this.typingSentAt.delete(room);
    const { roomDirectory } = this.snapshot;
    this.set({
      rooms: rest,
      // A private room is listed for members only; a public one stays listed, ban or not.
      roomDirectory:
        removed?.visibility === 'private' ? roomGone(roomDirectory, room) : roomDirectory,
      activeRoom: this.snapshot.activeRoom === room ? null : this.snapshot.activeRoom,
      notice: {
        id: (this.snapshot.notice?.id ?? 0) + 1,
        room,
        text: removalLine(room, reason, until),
      },
    });
  };

  /**
   * This user was added to a room or their role there changed (every tab of theirs hears it,
   * joined or not): an open room gives or takes what the role allows at once, and the lobby
   * lists the room (a private room appears with its lock). A room whose door was shut on this
   * tab is tried again: being added may open it.
   */
  private readonly onRoomRole = (told: ServerPayloadOf<'room:role'>): void => {
    const { room: name, role, ...summary } = told;
    const line = roleChangeLine(name, this.roleBefore(name, told.visibility), role);
    const directory = roomUpdated(this.snapshot.roomDirectory, { name, ...summary });
    this.set({
      roomDirectory: directory,
      announcement: line
        ? { id: (this.snapshot.announcement?.id ?? 0) + 1, text: line }
        : this.snapshot.announcement,
    });
    const refused = this.snapshot.rooms[name]?.refused;
    this.updateRoom(name, (view) =>
      refused
        ? { ...withRole(view, told), error: undefined, refused: undefined }
        : withRole(view, told),
    );
    if (refused && this.socket.connected) void this.join(name);
  };

  /**
   * This user's role in a room before a `room:role`, as far as this tab knows: null when they
   * had none, undefined when this tab cannot tell (the room is not open here).
   */
  private roleBefore(room: string, visibility: Visibility): Role | null | undefined {
    const view = this.snapshot.rooms[room];
    if (view?.joined) return view.role;
    if (view?.refused) return null;
    // A private room is listed only to its members: missing from a list that reaches where it
    // would be, it was not theirs.
    if (visibility === 'private' && knownUnlisted(this.snapshot.roomDirectory, room)) return null;
    return undefined;
  }

  private readonly onPresenceJoined = ({
    room,
    member,
  }: ServerPayloadOf<'presence:joined'>): void => {
    this.updateRoom(room, (view) => withPresence(view, member, true));
  };

  private readonly onPresenceLeft = ({ room, member }: ServerPayloadOf<'presence:left'>): void => {
    this.updateRoom(room, (view) => withPresence(view, member, false));
  };

  private readonly onTyping = ({ room, user, typing }: ServerPayloadOf<'typing:changed'>): void => {
    if (user.id === this.snapshot.me.id) return;
    this.updateRoom(room, (view) => withTyping(view, user, typing, Date.now()));
    if (typing) this.startTypingSweep();
  };

  private readonly onRoomUpdated = (update: ServerPayloadOf<'room:updated'>): void => {
    const { room: name, ...summary } = update;
    const directory = roomUpdated(this.snapshot.roomDirectory, { name, ...summary });
    if (directory !== this.snapshot.roomDirectory) this.set({ roomDirectory: directory });
    this.updateRoom(name, (view) => withRoomUpdate(view, update));
  };

  private readonly onRoomEvent = ({ room, type, data }: ServerPayloadOf<'room:event'>): void => {
    this.updateRoom(room, (view) => withLiveEvent(view, type, data, Date.now()));
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
