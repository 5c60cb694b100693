import type {
  AckOf,
  ClientEventName,
  ErrorBody,
  Member,
  PayloadInputOf,
  Role,
  ServerEventName,
  ServerPayloadOf,
} from '@parley/protocol';
import { type ChatSocket, createChatClient, DEFAULT_ACK_TIMEOUT_MS } from '@parley/protocol/client';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { createConnectionDriver } from './client/connection-driver';
import { createOutboxDelivery } from './client/outbox-delivery';
import { createPresenceRefetch } from './client/presence-refetch';
import { createRequests } from './client/requests';
import { createRoomJoins } from './client/room-joins';
import { createRoomList } from './client/room-list';
import { createServerEventHandlers } from './client/server-events';
import { createSnapshotStore } from './client/snapshot-store';
import { createTypingSignals } from './client/typing-signals';
import { type ConnectionState, initialConnection } from './connection';
import { listen, type ServerEventHandlers } from './listen';
import type { PresencePage, PresencePageRequest } from './presence';
import type { RoomState } from './room';
import { emptyDirectory, type RoomDirectory } from './room-directory';
import type { SessionSource } from './session';

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
  /**
   * The longest a connection attempt waits for the server's handshake (60 s by default). The
   * first waits Socket.IO's `timeout` (20 s by default); each that got no handshake in time gives
   * the next one twice as long, up to this, until a connection is made: a server busy with a
   * reconnect storm is given time to answer rather than asked again from the back of its queue.
   */
  connectTimeoutMaxMs?: number;
  /** How long to wait for an acknowledgement before taking it as `unavailable`. */
  ackTimeoutMs?: number;
  /**
   * Join the rooms held in each (re)connection's handshake (`auth.join`, default), one round trip
   * sooner than with `room:join` once connected. A server older than `auth.join` ignores it: each
   * room is then joined with `room:join` after `ackTimeoutMs`; set false for such a server.
   */
  joinOnConnect?: boolean;
  /** Connect at once (default), or wait for `connect()`. */
  autoConnect?: boolean;
  /** The clock (ms since the epoch); tests may fix it. */
  now?: () => number;
  /**
   * Random numbers in [0, 1) (`Math.random`): the spread of join retries and of member-list
   * refetches; tests may fix it.
   */
  random?: () => number;
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
  /**
   * One page of who is present in a joined room (`presence:list`): `members`, `nextCursor` (pass
   * it as `cursor` for the next page; null after the last) and the room's `memberCount`. For a
   * room in `count` presence, whose `members` are only a sample; key the pages by member id.
   * Errors as data (`unavailable` at once when not connected, `not_joined`…).
   */
  listPresence(room: string, page?: PresencePageRequest): Promise<PresencePage>;

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

/**
 * A client for one workspace over one socket: the connection (with token renewal), the rooms it
 * joins (recovery after a reconnection, gaps, outbox, typing, presence, live events, unread
 * counts) and the room list, as a store any framework can read (`subscribe` / `getSnapshot`).
 * Works in browsers and in Node.
 *
 * This function only makes the parts (in ./client/) and wires them to each other; each part is
 * handed what it uses. Parts that need each other (joins resend the outbox, the outbox rejoins)
 * are wired through arrow functions, called only once everything exists.
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
    // Asked just before each handshake leaves (`rooms` exists by then).
    join: () => rooms.handshakeJoins(),
    // Connected once this function has returned (below): a client disposed at once, as React's
    // StrictMode does with effects, never opens a connection.
    autoConnect: false,
  });
  const autoConnect = options.autoConnect ?? true;

  const store = createSnapshotStore({
    workspace,
    me: session.me(),
    connection: autoConnect
      ? initialConnection()
      : { ...initialConnection(), status: 'offline', closed: true },
    rooms: {},
    activeRoom: null,
    roomDirectory: emptyDirectory(),
    roleChange: null,
  });
  const requests = createRequests({ socket, ackTimeoutMs, isDisposed: store.isDisposed });
  const random = options.random ?? Math.random;
  const typing = createTypingSignals({ store, socket, now });
  const outbox = createOutboxDelivery({
    store,
    socket,
    requests,
    now,
    join: (room) => rooms.join(room),
    rejoin: (room) => rooms.rejoin(room),
    forgetTyping: typing.forget,
  });
  const rooms = createRoomJoins({
    store,
    socket,
    requests,
    deliver: outbox.deliver,
    forgetTyping: typing.forget,
    joinOnConnect: options.joinOnConnect ?? true,
    ackTimeoutMs,
    random,
  });
  const roomList = createRoomList({ store, socket, requests });
  const presence = createPresenceRefetch({ store, requests, random });

  // A room's change may call for more: the history for its new gaps, a timer for its typing,
  // its member list fetched again once it is stale.
  store.onRoomChange((room, before, after) => {
    if (after.timeline.gaps !== before.timeline.gaps) rooms.fetchGaps(room);
    if (after.typing !== before.typing) typing.scheduleExpiry();
    if (after.membersStatus !== before.membersStatus) presence.roomChanged(room, before, after);
  });

  const connection = createConnectionDriver({
    store,
    socket,
    session,
    socketOptions: options.socketOptions,
    connectTimeoutMaxMs: options.connectTimeoutMaxMs,
    onConnected() {
      roomList.reconnected();
      rooms.joinAll();
    },
    forgetConnection() {
      requests.connectionLost();
      rooms.forgetConnection();
      outbox.forgetConnection();
      typing.forgetConnection();
      presence.forgetConnection();
    },
    onDisconnected: rooms.markDisconnected,
  });
  const stopListening = listen(
    socket,
    createServerEventHandlers({
      store,
      now,
      step: connection.step,
      join: rooms.join,
      forgetTyping: typing.forget,
      handshakeAnswered: rooms.handshakeAnswered,
    }),
  );

  function dispose(): void {
    if (store.isDisposed()) return;
    store.dispose();
    stopListening();
    connection.dispose();
    typing.dispose();
    presence.dispose();
    socket.disconnect();
  }

  if (autoConnect) queueMicrotask(connection.connect);

  return {
    workspace,
    socket,
    subscribe: store.subscribe,
    getSnapshot: store.get,
    connect: connection.connect,
    disconnect: connection.disconnect,
    join: rooms.join,
    open: rooms.open,
    blur: rooms.blur,
    leave: rooms.leave,
    send: outbox.send,
    retry: outbox.retry,
    edit: outbox.edit,
    delete: outbox.delete,
    loadOlder: rooms.loadOlder,
    setTyping: typing.setTyping,
    listPresence: presence.list,
    watchRoomList: roomList.watch,
    unwatchRoomList: roomList.unwatch,
    searchRooms: roomList.searchRooms,
    showMoreRooms: roomList.showMoreRooms,
    request: requests.call,
    on(event, handler) {
      return listen(socket, { [event]: handler } as Partial<ServerEventHandlers>);
    },
    dispose,
  };
}
