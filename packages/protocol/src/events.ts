import type { z } from 'zod';
import * as a from './access';
import { LIMITS } from './limits';
import type { Result } from './result';
import type { Visibility } from './roles';
import * as s from './schemas';

/** Events a client emits to its workspace namespace. Each is answered by an acknowledgement. */
export const ClientEvent = {
  RoomJoin: 'room:join',
  RoomLeave: 'room:leave',
  RoomList: 'room:list',
  MessageSend: 'message:send',
  MessageHistory: 'message:history',
  TypingSet: 'typing:set',
  RoomCreate: 'room:create',
  RoomUpdate: 'room:update',
  MemberList: 'member:list',
  MemberAdd: 'member:add',
  MemberRemove: 'member:remove',
  MessageEdit: 'message:edit',
  MessageDelete: 'message:delete',
  PresenceList: 'presence:list',
} as const;
export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];

/** Events the server emits to clients. */
export const ServerEvent = {
  MessageNew: 'message:new',
  PresenceJoined: 'presence:joined',
  PresenceLeft: 'presence:left',
  TypingChanged: 'typing:changed',
  RoomUpdated: 'room:updated',
  ServerShutdown: 'server:shutdown',
  RoomEvent: 'room:event',
  ConnectionClosing: 'connection:closing',
  MessageUpdated: 'message:updated',
  MessageDeleted: 'message:deleted',
  RoomRemoved: 'room:removed',
  RoomRole: 'room:role',
  PresenceChanged: 'presence:changed',
  RoomsJoined: 'rooms:joined',
} as const;
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

interface ClientEventSpec {
  payload: z.ZodObject;
  ack: z.ZodObject;
  /** Sent volatile: may be dropped under load, and needs no acknowledgement. */
  volatile?: true;
  summary: string;
}

interface ServerEventSpec {
  payload: z.ZodType;
  volatile?: true;
  summary: string;
}

/** The client→server contract: one entry per event, from which the types and docs are made. */
export const clientEvents = {
  [ClientEvent.RoomJoin]: {
    payload: s.RoomJoinPayload,
    ack: s.RoomJoinAck,
    summary: `Join a room (creating it if new, within the creation limits: \`rate_limited\` when the user or the workspace creates rooms too fast, \`forbidden\` when the workspace holds as many rooms as it may). A node busy with joins (a reconnect storm) has them wait their turn, and past a few seconds answers \`rate_limited\` with \`retryAfterMs\`: ask again then. Answers the latest page of history, or with \`since\` everything after it, and the members present: all of them in \`members\` presence (\`room.presence\`), up to ${LIMITS.joinMembersMax} of them in \`count\` presence (\`room.memberCount\` counts them all; \`presence:list\` pages through them). Joining a room already joined answers the same again.`,
  },
  [ClientEvent.RoomLeave]: {
    payload: s.RoomLeavePayload,
    ack: s.RoomLeaveAck,
    summary: 'Leave a room. Answers `not_joined` if the socket was not in it.',
  },
  [ClientEvent.RoomList]: {
    payload: s.RoomListPayload,
    ack: s.RoomListAck,
    summary: `One page of the workspace's rooms, by name, with their topic and online user count: up to \`limit\` (default ${LIMITS.roomListPageDefault}, at most ${LIMITS.roomListPageMax}) rooms whose names start with \`prefix\`, after \`cursor\`; \`nextCursor\` asks for the next page (null: there is none). From then on this socket also gets \`room:updated\` for every room of the workspace (a lobby), until it disconnects.`,
  },
  [ClientEvent.MessageSend]: {
    payload: s.MessageSendPayload,
    ack: s.MessageSendAck,
    summary:
      'Store a message with the next `seq` and broadcast it as `message:new` to the room; the sending socket gets it in the acknowledgement instead (its other tabs get the broadcast). Idempotent per user, room and `clientMsgId`: a resend answers the original message and broadcasts nothing.',
  },
  [ClientEvent.MessageHistory]: {
    payload: s.MessageHistoryPayload,
    ack: s.MessageHistoryAck,
    summary: 'A page of older messages of a joined room, before `before`.',
  },
  [ClientEvent.TypingSet]: {
    payload: s.TypingSetPayload,
    ack: s.TypingSetAck,
    volatile: true,
    summary: `Say whether the user is typing in a joined room. Repeat \`typing: true\` every ${LIMITS.typingRefreshMs / 1000} s while typing: receivers drop it after ${LIMITS.typingTimeoutMs / 1000} s without one.`,
  },
  [ClientEvent.RoomCreate]: {
    payload: a.RoomCreatePayload,
    ack: a.RoomCreateAck,
    summary:
      'Create a room, public or private, and become its owner (the caller does not join it). A room of that name answers `conflict`; creation limits as for `room:join`.',
  },
  [ClientEvent.RoomUpdate]: {
    payload: a.RoomUpdatePayload,
    ack: a.RoomUpdateAck,
    summary:
      "Change a room's topic or make it read-only (moderators and owners). The room's sockets, and lobbies for a public room, get `room:updated`.",
  },
  [ClientEvent.MemberList]: {
    payload: a.MemberListPayload,
    ack: a.MemberListAck,
    summary:
      "A room's stored members with their roles and whether they are online, then whoever else is in it. Private rooms: members only; public rooms: whoever has joined.",
  },
  [ClientEvent.MemberAdd]: {
    payload: a.MemberAddPayload,
    ack: a.MemberAddAck,
    summary:
      'Add someone to a room, or change their role (moderators add members; owners also moderators and owners). Lifts a ban. They may then join a private room.',
  },
  [ClientEvent.MemberRemove]: {
    payload: a.MemberRemovePayload,
    ack: a.MemberRemoveAck,
    summary:
      'Remove someone from a room (moderators and owners, never someone of their own rank or above): every socket of theirs, on every node, leaves it and gets `room:removed`; the others get `presence:left`. With `banSeconds` their rejoining is refused until then.',
  },
  [ClientEvent.MessageEdit]: {
    payload: s.MessageEditPayload,
    ack: s.MessageEditAck,
    summary:
      'Edit one of your own messages in a joined room. Everyone gets `message:updated`; history serves the new text with `editedAt`; the edit is an entry of the log with the next `seq`, so a client that was away gets it with `since`. Repeating an edit changes nothing more.',
  },
  [ClientEvent.MessageDelete]: {
    payload: s.MessageDeletePayload,
    ack: s.MessageDeleteAck,
    summary:
      "Delete a message of a joined room: your own, or anyone's as a moderator or owner. Everyone gets `message:deleted`; history keeps a tombstone at its `seq` (`deleted: true`, no text), and the deletion is an entry with the next `seq`. Deleting again changes nothing more.",
  },
  [ClientEvent.PresenceList]: {
    payload: s.PresenceListPayload,
    ack: s.PresenceListAck,
    summary: `One page of the users present in a joined room (at most \`limit\`, default ${LIMITS.presencePageDefault}, at most ${LIMITS.presencePageMax}), and \`nextCursor\` for the next. For rooms in \`count\` presence (too many online to send every arrival and departure), it is how a client shows who is there, on demand.`,
  },
} as const satisfies Record<ClientEventName, ClientEventSpec>;

/** The server→client contract. */
export const serverEvents = {
  [ServerEvent.MessageNew]: {
    payload: s.Message,
    summary: 'A message stored in a room the socket joined.',
  },
  [ServerEvent.PresenceJoined]: {
    payload: s.PresenceChange,
    summary:
      "A user's first socket joined the room (further tabs of the same user are silent). Rooms in `members` presence only; when several users come and go within one short window (a fifth of a second, per server node) they arrive together as `presence:changed` instead — so a client that speaks only `presence:joined` and `presence:left` (protocol 1) misses those: handle `presence:changed` too.",
  },
  [ServerEvent.PresenceLeft]: {
    payload: s.PresenceChange,
    summary:
      "A user's last socket left the room or disconnected. Rooms in `members` presence only; batched like `presence:joined`.",
  },
  [ServerEvent.PresenceChanged]: {
    payload: s.PresenceChanged,
    summary:
      'Several users arrived or left within one short window, as one event: apply `left`, then `joined`, by member `id`. Rooms in `members` presence only. A room that grows past the server\'s threshold sends no arrivals or departures at all: its `room:updated` says `presence: "count"`, and keeps the count live.',
  },
  [ServerEvent.TypingChanged]: {
    payload: s.TypingChanged,
    volatile: true,
    summary:
      'Another user started or stopped typing in a joined room. Also sent with `typing: false` when a typing user leaves.',
  },
  [ServerEvent.RoomUpdated]: {
    payload: s.RoomUpdated,
    summary:
      "A room's online count, presence mode or topic changed. Sent to the room's members and to every socket that asked for the room list (`room:list`), so lobbies stay live. Coalesced, always with the current figures: a room's members hear it at most five times a second from each server node with members of the room on it (once a second for a room in `count` presence), lobbies not in the room once a second from each node. When `presence` turns from `count` back to `members`, fetch the list (`presence:list`): arrivals and departures are sent again from then on.",
  },
  [ServerEvent.RoomEvent]: {
    payload: s.RoomEvent,
    summary:
      'A transient event a backend published to the room through the server API (a progress bar, a price, a build status). Not stored: a socket that was not in the room when it was sent never sees it.',
  },
  [ServerEvent.ConnectionClosing]: {
    payload: s.ConnectionClosing,
    summary:
      'The server is about to close this connection, and why (`reason`): the token expired (get a new one, then reconnect), the connection kept sending after `rate_limited` answers, or it read too slowly to keep up. The disconnect follows; Socket.IO does not reconnect by itself after it.',
  },
  [ServerEvent.MessageUpdated]: {
    payload: s.MessageUpdated,
    summary:
      'A message of a joined room was edited: the message as it is now, and the `changeSeq` of the edit entry.',
  },
  [ServerEvent.MessageDeleted]: {
    payload: s.MessageDeleted,
    summary:
      'A message of a joined room was deleted: show a tombstone at its `seq`. `changeSeq` is the deletion entry.',
  },
  [ServerEvent.RoomRemoved]: {
    payload: a.RoomRemoved,
    summary:
      'You were removed from the room (or banned, `until` then): every socket of yours has left it.',
  },
  [ServerEvent.RoomRole]: {
    payload: a.RoomRole,
    summary:
      'You were added to the room, or your role in it changed: the room as you may now see it, with your role. Sent to every socket of yours in the workspace, joined or not, so a private room you were added to appears in your list at once.',
  },
  [ServerEvent.RoomsJoined]: {
    payload: s.RoomsJoined,
    summary:
      "Answers to the rooms the handshake asked to join (`auth.join`), each room's as `room:join` would answer it, sent as each is joined (so a slow room holds up no other): every room of the list is answered once, unless the connection closes first. A room refused here (`rate_limited`, `unavailable`) may be asked again with `room:join`. Never sent without `join`.",
  },
  [ServerEvent.ServerShutdown]: {
    payload: s.ServerShutdown,
    summary:
      'The node is shutting down; the connection closes next and the client reconnects (to any node) and re-joins with `since`.',
  },
} as const satisfies Record<ServerEventName, ServerEventSpec>;

type ClientEvents = typeof clientEvents;
type ServerEvents = typeof serverEvents;

export type PayloadOf<E extends ClientEventName> = z.output<ClientEvents[E]['payload']>;
/** What a client may pass: before defaults and trimming are applied. */
export type PayloadInputOf<E extends ClientEventName> = z.input<ClientEvents[E]['payload']>;
export type AckDataOf<E extends ClientEventName> = z.output<ClientEvents[E]['ack']>;
export type AckOf<E extends ClientEventName> = Result<AckDataOf<E>>;
export type ServerPayloadOf<E extends ServerEventName> = z.output<ServerEvents[E]['payload']>;

/** Socket.IO's client→server event map, as a client sees it. */
export type ClientToServerEvents = {
  [E in ClientEventName]: ClientEvents[E] extends { volatile: true }
    ? (payload: PayloadInputOf<E>, ack?: (result: AckOf<E>) => void) => void
    : (payload: PayloadInputOf<E>, ack: (result: AckOf<E>) => void) => void;
};

/**
 * The same events as the server receives them: nothing on the wire is trusted until the
 * event's schema has parsed it, so every argument is `unknown` here.
 */
export type IncomingClientEvents = {
  [E in ClientEventName]: (...args: unknown[]) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayloadOf<E>) => void;
};

/** A user who left a room without a live connection to say so (their node died). */
export interface AnnouncedDeparture {
  workspace: string;
  room: string;
  member: s.Member;
  /**
   * The room after the departure; null when it could not be read (a store failing then): the
   * departure is told all the same, the figures at the room's next change.
   */
  figures: DepartedRoomFigures | null;
}

/** What a room's `room:updated` tells after a departure the sweep found. */
export interface DepartedRoomFigures {
  topic: string | null;
  memberCount: number;
  visibility: Visibility;
  readOnly: boolean;
}

/** A broadcast one node asks every other node to emit to its own sockets. */
export interface RelayedBroadcast {
  workspace: string;
  /** The Socket.IO rooms of the workspace to reach (any socket in any of them). */
  channels: string[];
  event: ServerEventName;
  payload: unknown;
}

/**
 * Events between server nodes (through the Redis adapter), never seen by clients. Fire and
 * forget: nothing waits for other nodes to answer.
 */
export interface InterServerEvents {
  'presence:departed': (departures: AnnouncedDeparture[]) => void;
  'parley:broadcast': (broadcast: RelayedBroadcast) => void;
  'parley:membership': (change: MembershipChange) => void;
}

/**
 * A change of someone's standing in a room that every node applies to that user's sockets in the
 * room: `removed` (they leave it, and are told why) or `role` (their role there changed).
 */
export type MembershipChange =
  | {
      kind: 'removed';
      workspace: string;
      room: string;
      userId: string;
      reason: 'removed' | 'banned';
      /** When a ban ends (ISO 8601). */
      until?: string;
    }
  | {
      kind: 'role';
      workspace: string;
      room: string;
      userId: string;
      /** The room with their new role, as they are told it (`room:role`). */
      told: a.RoomRole;
    };

/** What the server keeps on each socket (`socket.data`). */
export interface SocketData {
  user: s.Member;
  workspace: string;
  /** When the connection's token expires (ms since the epoch): the session ends then. */
  expiresAt: number;
  /** The token makes its user an admin of its workspaces: owner in every room. */
  admin: boolean;
  /** The token's `rooms` claim, when it has one: only matching rooms may be joined. */
  rooms?: string[];
}
