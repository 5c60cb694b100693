import type { RoomRef, WebhookLane } from '../types';

/**
 * Every Redis key Parley writes, in one place. Keys that one script touches together share a
 * hash tag (the part in braces), so they land in one Redis Cluster slot:
 * - a room's history: `{acme/general}`;
 * - a workspace's rooms and presence: `{acme}` (presence counts per room are kept per workspace);
 * - a node's liveness, its connections and its report: `{node:<id>}`;
 * - each webhook lane: `{webhooks}` (messages), `{webhooks:presence}`.
 */
export function redisKeys(prefix: string) {
  const room = ({ workspace, room }: RoomRef) => `${prefix}{${workspace}/${room}}`;
  const workspace = (name: string) => `${prefix}{${name}}`;
  const node = (id: string) => `${prefix}{node:${id}}`;
  /** The prefix as a SCAN pattern matches it literally. */
  const globSafe = prefix.replace(/[*?[\]\\]/g, '\\$&');
  return {
    /** The room's last `seq` (never trimmed, so numbering goes on after retention drops). */
    seq: (ref: RoomRef) => `${room(ref)}:seq`,
    /** Sorted set of the room's retained messages, scored by `seq`. */
    log: (ref: RoomRef) => `${room(ref)}:log`,
    /** A SCAN pattern of every room's log, and the room a log key belongs to. */
    logPattern: `${globSafe}{*/*}:log`,
    refOfLog(key: string): RoomRef | undefined {
      const match = /^\{([^/}]+)\/([^}]+)\}:log$/.exec(key.slice(prefix.length));
      return match ? { workspace: match[1] as string, room: match[2] as string } : undefined;
    },
    /**
     * Sorted set of author + clientMsgId, scored by the seq stored under it: idempotent sends,
     * dropped with retention by score (no message is ever decoded to find its key).
     */
    ids: (ref: RoomRef) => `${room(ref)}:ids`,
    /** The hash the ids were kept in before (author + clientMsgId -> seq): moved on first use. */
    legacyIds: (ref: RoomRef) => `${room(ref)}:sent`,
    /** Token bucket of one user's messages in the room (taken by the append script). */
    senderRate: (ref: RoomRef, userId: string) => `${room(ref)}:rate:${userId}`,
    /** Token bucket of every message in the room, whoever sends (taken by the append script). */
    roomRate: (ref: RoomRef) => `${room(ref)}:room-rate`,
    /** Hash of room name -> room record (JSON). */
    rooms: (name: string) => `${workspace(name)}:rooms`,
    /** A SCAN pattern of every workspace's rooms hash, and the workspace a rooms key is of. */
    roomsPattern: `${globSafe}{*}:rooms`,
    workspaceOfRooms(key: string): string | undefined {
      return /^\{([^/}]+)\}:rooms$/.exec(key.slice(prefix.length))?.[1];
    },
    /**
     * Sorted sets of the workspace's public and private room names, all scored 0: paged by name
     * (ZRANGE BYLEX). Set once the public index holds the rooms made before it existed.
     */
    roomNames: (name: string) => `${workspace(name)}:room-names`,
    privateRoomNames: (name: string) => `${workspace(name)}:private-room-names`,
    roomsIndexed: (name: string) => `${workspace(name)}:room-names-built`,
    /** Hash of a room's settings the append script reads (`readOnly`), in the room's hash tag. */
    roomSettings: (ref: RoomRef) => `${room(ref)}:settings`,
    /** Hash of user id -> stored member (JSON: name, role), for one room. */
    roomMembers: (ref: RoomRef) => `${workspace(ref.workspace)}:room-members:${ref.room}`,
    /** Hash of user id -> when their ban ends (ms), for one room. */
    roomBans: (ref: RoomRef) => `${workspace(ref.workspace)}:room-bans:${ref.room}`,
    /** Sorted set of the rooms a user is a stored member of (scored 0, by name). */
    userRooms: (name: string, userId: string) => `${workspace(name)}:user-rooms:${userId}`,
    /**
     * Sorted set of `workspace/room` of every room that may expire (no message, no topic yet),
     * scored by when it last became idle. Cluster-wide: read and written apart from the rooms.
     */
    roomCandidates: `${prefix}room-candidates`,
    /** Hash of connection id -> user id, for one room. */
    connections: (ref: RoomRef) => `${workspace(ref.workspace)}:presence:${ref.room}:connections`,
    /** Hash of user id -> member (JSON), for one room. */
    members: (ref: RoomRef) => `${workspace(ref.workspace)}:presence:${ref.room}:members`,
    /** Sorted set of the user ids of `members` (all scored 0): pages through them by id. */
    presentIds: (ref: RoomRef) => `${workspace(ref.workspace)}:presence:${ref.room}:ids`,
    /**
     * A token that changes whenever `members` does (and is gone with it): a node that holds the
     * room's list under the current token is not sent it again.
     */
    membersVersion: (ref: RoomRef) =>
      `${workspace(ref.workspace)}:presence:${ref.room}:members-version`,
    /** Hash of user id -> connection count, for one room. */
    userConnections: (ref: RoomRef) =>
      `${workspace(ref.workspace)}:presence:${ref.room}:user-connections`,
    /** Hash of user id -> when their grace ends (ms), for users of one room who are leaving. */
    departing: (ref: RoomRef) => `${workspace(ref.workspace)}:presence:${ref.room}:departing`,
    /**
     * Sorted set of `[workspace, room, user]` (JSON) of every leaving user, scored by when their
     * grace ends: what sweeps settle when the node that started it did not. Cluster-wide: written
     * apart from the room's keys (before them, so nothing leaving is ever missing from it).
     */
    departures: `${prefix}departures`,
    /** Set of the workspace's rooms marked occupied (for webhooks' room.occupied / vacated). */
    occupied: (name: string) => `${workspace(name)}:occupied`,
    /** Hash of room name -> online user count, for the whole workspace. */
    counts: (name: string) => `${workspace(name)}:presence-counts`,
    /** Present while the node heartbeats; expires when it stops. */
    alive: (id: string) => `${node(id)}:alive`,
    /** Set of the node's presence entries, so survivors can remove them if it dies. */
    nodeConnections: (id: string) => `${node(id)}:connections`,
    /** Held by the one survivor cleaning up after a dead node. */
    reaper: (id: string) => `${node(id)}:reaper`,
    /** The node's latest heartbeat report (JSON), expiring unless renewed. */
    nodeReport: (id: string) => `${node(id)}:report`,
    /** Sorted set of the ids of nodes that reported, scored by when their report lapses (ms). */
    nodeReports: `${prefix}node-reports`,
    /** Set of the ids of every node that registered and has not been cleaned up. */
    nodes: `${prefix}nodes`,
    /**
     * Set of the ids of registered nodes that keep every room's `membersVersion`. A node of an
     * older version changes a room's members without changing its version, so a node holds
     * member lists only while every registered node is in this set (presence.ts).
     */
    versionedNodes: `${prefix}nodes-keeping-members-versions`,
    /** Token bucket of one key of a scoped rate limiter (an API key's name, say). */
    rate: (key: string) => `${prefix}rate:{${key}}`,
    /**
     * A webhook lane's keys (messages keep the names they had before lanes existed): the
     * sorted set of delivery ids, scored by when each is due (or its claim lapses), the hash of
     * id -> delivery (JSON), and the hash of id -> attempts claimed so far.
     */
    webhookLane: (lane: WebhookLane) => {
      const tag = lane === 'messages' ? '{webhooks}' : `{webhooks:${lane}}`;
      return {
        due: `${prefix}${tag}:due`,
        deliveries: `${prefix}${tag}:deliveries`,
        attempts: `${prefix}${tag}:attempts`,
      };
    },
    /**
     * Pub/sub channel on which every stored message is announced, in seq order. Versioned with
     * the announcement's format (announcement.ts), so nodes of another version never hear it.
     */
    appendedChannel: `${prefix}messages:v2`,
    /** Prefix of the Socket.IO adapter's channels. */
    adapterChannel: `${prefix}socket.io`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
