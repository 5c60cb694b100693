import type { Member } from '@parley/protocol';
import { defineScript } from '@redis/client';
import type { Departure, EnteredPresence, PresenceStore, Removal, RoomRef } from '../types';
import type { RedisClient } from './connections';
import { createGenerations } from './generations';
import type { RedisKeys } from './keys';
import { createMemberCache } from './member-cache';

interface PresenceKeys {
  connections: string;
  members: string;
  userConnections: string;
  counts: string;
  departing: string;
  presentIds: string;
  membersVersion: string;
}

/** The keys of one room's presence, as every presence script takes them. */
export function presenceKeysOf(keys: RedisKeys, ref: RoomRef): PresenceKeys {
  return {
    connections: keys.connections(ref),
    members: keys.members(ref),
    userConnections: keys.userConnections(ref),
    counts: keys.counts(ref.workspace),
    departing: keys.departing(ref),
    presentIds: keys.presentIds(ref),
    membersVersion: keys.membersVersion(ref),
  };
}

function parsePresenceKeys(parser: { pushKeys(keys: string[]): void }, keys: PresenceKeys): void {
  parser.pushKeys([
    keys.connections,
    keys.members,
    keys.userConnections,
    keys.counts,
    keys.departing,
    keys.presentIds,
    keys.membersVersion,
  ]);
}

/**
 * Lua: `present(key, limit, field, value)`: { how many fields the members hash `key` holds, and
 * its values: all of them when at most `limit`, else `limit` of them at random (HRANDFIELD reads
 * `limit` fields, not the whole room) — `field`'s among them, as `value`, unless `field` is ''. }
 */
const PRESENT_LUA = `
local function present(key, limit, field, value)
  local count = redis.call('HLEN', key)
  if limit <= 0 then return {count, {}} end
  if count <= limit then return {count, redis.call('HVALS', key)} end
  local sample = redis.call('HRANDFIELD', key, limit, 'WITHVALUES')
  local values = {}
  local found = field == ''
  for i = 1, #sample, 2 do
    if sample[i] == field then found = true end
    values[#values + 1] = sample[i + 1]
  end
  if not found then values[#values] = value end
  return {count, values}
end`;

/** A script's `present(...)` answer: the count, and member JSONs. */
type PresentReply = [count: number, members: string[]];

/**
 * Lua: `membersChanged()`: the members hash (KEYS[2]) changed, so its version (KEYS[7]) does
 * too — to a value it never had: a count, and Redis's clock, so not even a replica promoted
 * without the last changes, nor a room emptied (its version goes with its members) and filled
 * again, gives an old version to another list.
 */
const MEMBERS_CHANGED_LUA = `
local function membersChanged()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[7])
    return
  end
  local last = redis.call('GET', KEYS[7])
  local n = (last and tonumber(string.match(last, '^%d+')) or 0) + 1
  local now = redis.call('TIME')
  redis.call('SET', KEYS[7], n .. ':' .. now[1] .. '.' .. now[2])
end`;

/**
 * Lua: `addConnection()`: adds one connection of a user to a room. Answers { 1 when the user just
 * arrived: their first connection there, and not a return within the grace of their last one's
 * going (they never stopped counting, and nobody was told they left); 0 otherwise, also for a
 * connection already added — then who is in the room right after: `present` above, with ARGV[5]
 * as the limit ('0' for the count alone), the user among them, but the count alone when the
 * members' version is ARGV[6] (the node holds the list, or the sample, it read at that version:
 * nobody came, went or was renamed since); then the members' version, '' for none }.
 *
 * KEYS[1..7]: connections, members, user connections, workspace counts, departing, present ids,
 * members version. ARGV[1..6]: connection id, user id, member JSON, room, members limit, the
 * version of the list the node holds ('' for none). A function, so a script that reads more for
 * a join (joins.ts) adds the connection in the same step, with these keys and arguments first.
 */
export const ADD_CONNECTION_LUA = `${PRESENT_LUA}
${MEMBERS_CHANGED_LUA}
local function answer(arrived)
  local limit = tonumber(ARGV[5])
  local count = redis.call('HLEN', KEYS[2])
  if limit <= 0 then return {arrived, {count, {}}, ''} end
  local version = redis.call('GET', KEYS[7]) or ''
  if version ~= '' and version == ARGV[6] then return {arrived, {count}, version} end
  if count <= limit then return {arrived, {count, redis.call('HVALS', KEYS[2])}, version} end
  return {arrived, present(KEYS[2], limit, ARGV[2], ARGV[3]), version}
end
local function addConnection()
  if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return answer(0) end
  local stored = redis.call('HGET', KEYS[2], ARGV[2])
  if stored ~= ARGV[3] then
    redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
    if not stored then redis.call('ZADD', KEYS[6], 0, ARGV[2]) end
    membersChanged()
  end
  if redis.call('HINCRBY', KEYS[3], ARGV[2], 1) > 1 then return answer(0) end
  if redis.call('HDEL', KEYS[5], ARGV[2]) == 1 then return answer(0) end
  redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
  return answer(1)
end`;

/** One `addConnection()`: the room's presence keys, the connection, and what the node holds. */
export interface AddConnectionCall {
  keys: PresenceKeys;
  connectionId: string;
  userId: string;
  memberJson: string;
  room: string;
  membersMax: number;
  /** The version of the room's list the node holds ('' for none). */
  knownVersion: string;
}

/** Pushes `addConnection()`'s KEYS[1..7]; then, after any keys of the caller's, its ARGV[1..6]. */
export function addConnectionKeys(
  parser: { pushKeys(keys: string[]): void },
  call: AddConnectionCall,
) {
  parsePresenceKeys(parser, call.keys);
}
export function addConnectionArgs(
  parser: { push(...args: string[]): void },
  call: AddConnectionCall,
) {
  parser.push(
    call.connectionId,
    call.userId,
    call.memberJson,
    call.room,
    String(call.membersMax),
    call.knownVersion,
  );
}

/** An `addConnection()` answer as Redis sends it. */
export type AddConnectionRaw = [number, [count: number, members?: string[]], string];

export function addConnectionReply([arrived, [count, members], version]: AddConnectionRaw) {
  return {
    arrived: Number(arrived) === 1,
    count: Number(count),
    /** Undefined: the list of `version`, which the node holds. */
    members,
    version: String(version),
  };
}

export type AddConnectionReply = ReturnType<typeof addConnectionReply>;

/** `addConnection()` alone (see above for its keys and arguments). */
export const addConnectionScript = defineScript({
  NUMBER_OF_KEYS: 7,
  SCRIPT: `${ADD_CONNECTION_LUA}
return addConnection()`,
  parseCommand(parser, call: AddConnectionCall) {
    addConnectionKeys(parser, call);
    addConnectionArgs(parser, call);
  },
  transformReply: addConnectionReply,
});

/**
 * Who is in a room: `present` above (no one in particular among them), in one round trip.
 * KEYS: members. ARGV: limit.
 */
export const presentMembersScript = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `${PRESENT_LUA}
return present(KEYS[1], tonumber(ARGV[1]), '', '')`,
  parseCommand(parser, key: string, limit: number) {
    parser.pushKey(key);
    parser.push(String(limit));
  },
  transformReply: ([count, members]: PresentReply) => ({ count: Number(count), members }),
});

/**
 * Lua: `leave(user)`: the user leaves the room for good, answering their member JSON (KEYS as
 * above, ARGV[2] the room).
 */
const LEAVE_LUA = `${MEMBERS_CHANGED_LUA}
local function leave(user)
  redis.call('HDEL', KEYS[3], user)
  redis.call('HDEL', KEYS[5], user)
  local member = redis.call('HGET', KEYS[2], user)
  if member then
    redis.call('HDEL', KEYS[2], user)
    membersChanged()
  end
  redis.call('ZREM', KEYS[6], user)
  if redis.call('HINCRBY', KEYS[4], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[4], ARGV[2]) end
  return member
end`;

/**
 * Removes one connection from a room. Answers { 0 } when the user has another connection there
 * (or this one was removed already: so however many nodes try, a departure is reported once);
 * { 1 } when it was their last and a grace (ARGV[3] ms, from ARGV[4]) begins, during which they
 * still count; { 2, member JSON } when they left.
 *
 * KEYS: as above. ARGV: connection id, room, grace ms ('0': none), now ms.
 */
export const removeConnectionScript = defineScript({
  NUMBER_OF_KEYS: 7,
  SCRIPT: `${LEAVE_LUA}
local user = redis.call('HGET', KEYS[1], ARGV[1])
if not user then return {0} end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[3], user, -1) > 0 then return {0} end
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[5], user, tonumber(ARGV[4]) + tonumber(ARGV[3]))
  return {1}
end
return {2, leave(user)}`,
  parseCommand(
    parser,
    keys: PresenceKeys,
    connectionId: string,
    room: string,
    graceMs: number,
    now: number,
  ) {
    parsePresenceKeys(parser, keys);
    parser.push(connectionId, room, String(graceMs), String(now));
  },
  transformReply: ([outcome, member]: [number, string?]) => ({ outcome, member }),
});

/**
 * Removes many connections from one room at once, as `removeConnectionScript` does each (a
 * user's last one begins their grace, or with no grace they leave); answers the member JSONs of
 * the users who left. For a node's connections all going together: a stopped node's, a dead
 * one's, a restarted one's leftovers.
 *
 * KEYS: as above. ARGV: grace ms ('0': none), room, now ms, then the connection ids.
 */
export const removeConnectionsScript = defineScript({
  NUMBER_OF_KEYS: 7,
  SCRIPT: `${LEAVE_LUA}
local grace = tonumber(ARGV[1])
local left = {}
for i = 4, #ARGV do
  local user = redis.call('HGET', KEYS[1], ARGV[i])
  if user then
    redis.call('HDEL', KEYS[1], ARGV[i])
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then
      if grace > 0 then
        redis.call('HSET', KEYS[5], user, tonumber(ARGV[3]) + grace)
      else
        left[#left + 1] = leave(user)
      end
    end
  end
end
return left`,
  parseCommand(
    parser,
    keys: PresenceKeys,
    room: string,
    graceMs: number,
    now: number,
    connectionIds: readonly string[],
  ) {
    parsePresenceKeys(parser, keys);
    parser.push(String(graceMs), room, String(now), ...connectionIds);
  },
  transformReply: (members: string[]) => members,
});

/**
 * Ends a leaving user's grace if it is over and they did not come back: answers { 2, member
 * JSON } to the one call that does it, { 0 } otherwise (they returned, it is not over, or
 * another node settled it).
 *
 * KEYS: as above. ARGV: user id, room, now ms.
 */
export const settleDepartureScript = defineScript({
  NUMBER_OF_KEYS: 7,
  SCRIPT: `${LEAVE_LUA}
local user = ARGV[1]
local due = tonumber(redis.call('HGET', KEYS[5], user))
if not due or due > tonumber(ARGV[3]) then return {0} end
return {2, leave(user)}`,
  parseCommand(parser, keys: PresenceKeys, userId: string, room: string, now: number) {
    parsePresenceKeys(parser, keys);
    parser.push(userId, room, String(now));
  },
  transformReply: ([outcome, member]: [number, string?]) => ({ outcome, member }),
});

/**
 * One page of a room's members by user id: up to ARGV[2] member JSONs after the id ARGV[1] (''
 * from the start), then the id to continue after, or false when this page is the last. An index
 * out of step with the members (none: rooms entered before it existed) is rebuilt first.
 *
 * KEYS: members, present ids. ARGV: after, limit.
 */
export const presencePageScript = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
if redis.call('ZCARD', KEYS[2]) ~= redis.call('HLEN', KEYS[1]) then
  redis.call('DEL', KEYS[2])
  local all = redis.call('HKEYS', KEYS[1])
  for first = 1, #all, 500 do
    local batch = {}
    for i = first, math.min(first + 499, #all) do
      batch[#batch + 1] = 0
      batch[#batch + 1] = all[i]
    end
    redis.call('ZADD', KEYS[2], unpack(batch))
  end
end
local limit = tonumber(ARGV[2])
local from = ARGV[1] == '' and '-' or ('(' .. ARGV[1])
local ids = redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, limit + 1)
local more = #ids > limit
if more then table.remove(ids) end
if #ids == 0 then return {{}, false} end
return {redis.call('HMGET', KEYS[1], unpack(ids)), more and ids[#ids]}`,
  parseCommand(
    parser,
    keys: { members: string; presentIds: string },
    after: string,
    limit: number,
  ) {
    parser.pushKeys([keys.members, keys.presentIds]);
    parser.push(after, String(limit));
  },
  transformReply: ([members, next]: [Array<string | null>, string | null]) => ({
    members: members.filter((json): json is string => json !== null),
    next,
  }),
});

export interface NodePresenceOptions {
  nodeId: string;
  /** How long a dead node's presence may linger. */
  ttlMs: number;
  /**
   * A restarted node's earlier connections were dropped, not left, so their users get this long
   * to come back before they leave (server.ts: PRESENCE_TTL_SECONDS, at least PRESENCE_GRACE_MS).
   */
  graceMs?: number;
  /** How long this node has been connected to Redis without a break. */
  connectedForMs(): number;
  /** Redis carries out commands in the order sent (RedisConnections.inOrder). */
  inOrder?: boolean;
}

/** A node's liveness key lives this long; it is renewed three times as often. */
export function heartbeatTimings(ttlMs: number) {
  return { aliveMs: Math.floor((ttlMs * 2) / 3), everyMs: Math.floor(ttlMs / 3) };
}

/**
 * Rooms of a node's connections removed at once (each room's in one script call): a few, as this
 * may run while the node serves, often during a reconnect storm that needs Redis more.
 */
const REAP_CONCURRENCY = 8;
/**
 * Connections per removal script call, and members per ZADD / SREM: each call stays short, as
 * Redis runs nothing else meanwhile.
 */
const BULK_CHUNK = 500;

/** Runs `work` on every item, at most REAP_CONCURRENCY at once; rejects with the first failure. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(REAP_CONCURRENCY, items.length) }, worker));
}

function chunksOf<T>(items: readonly T[], size = BULK_CHUNK): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    chunks.push(items.slice(start, start + size));
  return chunks;
}

/** A connection as recorded under its node, so survivors can remove it if the node dies. */
type NodeEntry = [workspace: string, room: string, connectionId: string, userId: string];
/**
 * A connection to take out of a room at the next sweep: a removal that failed, or an add whose
 * outcome nobody heard. Either way the user's departure is announced if this was their last
 * connection there: arrivals and departures are told per user, and another connection of theirs
 * may have been announced (a client that never heard of them ignores it).
 */
interface PendingRemoval {
  ref: RoomRef;
  userId: string;
  connectionId: string;
}

/** A leaving user, as indexed for sweeps. */
type DepartureEntry = [workspace: string, room: string, userId: string];
const departureOf = (ref: RoomRef, userId: string) =>
  JSON.stringify([ref.workspace, ref.room, userId] satisfies DepartureEntry);

/**
 * Drops a leaving user's index entry once settled, unless a later grace of theirs began since
 * (its score is then later than `now`). KEYS: departures. ARGV: entry, now ms.
 */
export const forgetDepartureScript = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`,
  parseCommand(parser, key: string, entry: string, now: number) {
    parser.pushKey(key);
    parser.push(entry, String(now));
  },
  transformReply: (reply: number) => reply,
});

/**
 * Runs `addConnection()` for a join, writing the node's index entry of the connection first
 * (itself, or in the same script): answers what the add answered, and what it read beside it.
 */
export type AddRunner<T> = (
  call: AddConnectionCall,
  index: { key: string; entry: string },
) => Promise<{ added: AddConnectionReply; also: T }>;

export interface RedisPresenceStore extends PresenceStore {
  /**
   * `enter`, with `run` adding the connection (and reading more for the join in the same step:
   * joins.ts); answers who is there as `enter` does, and what `run` read beside it.
   */
  enterWith<T>(
    ref: RoomRef,
    member: Member,
    connectionId: string,
    membersMax: number,
    run: AddRunner<T>,
  ): Promise<{ presence: EnteredPresence; also: T }>;
  /** Tells the cluster this node is alive; repeated by the caller every `everyMs`. */
  heartbeat(): Promise<void>;
  /** Before serving: clears what an earlier process with the same node id left behind. */
  start(): Promise<void>;
  /**
   * Once the node takes no more connections: those still recorded under it (closed by its stop)
   * begin the restart's grace, all at once; then it leaves no trace, or leaves what it could not
   * remove to the survivors.
   */
  stop(): Promise<void>;
}

/** A room's members as a node read them, at `version` (`memberLists` below). */
interface HeldList {
  version: string;
  members: readonly Member[];
  /** Set for a sample of a room past the limit: the limit it was read with. */
  sampledAt: number | undefined;
}

/**
 * The held list, if it answers a join asking for up to `membersMax`: the whole list when it
 * fits, a sample when it was read with this very limit.
 */
function usableList(held: HeldList | undefined, membersMax: number): HeldList | undefined {
  if (!held || membersMax <= 0) return undefined;
  const fits =
    held.sampledAt === undefined
      ? held.members.length <= membersMax
      : held.sampledAt === membersMax;
  return fits ? held : undefined;
}

/**
 * A held sample with `member` among them, still at most `max`: the same list when they are in it
 * (mostly, in a room just past the limit), so every join answered from it shares it; else the
 * sample's first `max - 1` and them.
 */
function withMember(members: readonly Member[], member: Member, max: number): readonly Member[] {
  if (members.some((present) => present.id === member.id)) return members;
  return [...members.slice(0, max - 1), member];
}

/**
 * Presence shared by every node. Each connection is recorded in its room (counted per user) and
 * under its node. Every node heartbeats; a node whose heartbeat expired is cleaned up by one
 * survivor (a claim key decides which), whose `sweep()` answers the users who thereby left.
 */
export function createRedisPresenceStore(
  client: RedisClient,
  keys: RedisKeys,
  {
    nodeId,
    ttlMs,
    graceMs: restartGraceMs = 0,
    connectedForMs,
    inOrder = false,
  }: NodePresenceOptions,
): RedisPresenceStore {
  const { aliveMs } = heartbeatTimings(ttlMs);
  const presenceKeys = (ref: RoomRef) => presenceKeysOf(keys, ref);
  const entryOf = (ref: RoomRef, connectionId: string, userId: string) =>
    JSON.stringify([ref.workspace, ref.room, connectionId, userId] satisfies NodeEntry);

  /**
   * Removals that failed (Redis unreachable, or an add whose outcome is unknown): retried by
   * `sweep()`, so a connection that closed during an outage leaves no ghost behind.
   */
  const pending = new Map<string, PendingRemoval>();
  /**
   * Each connection's add under way in each room (by `pendingKey`), its latest attempt only: an
   * attempt its caller gave up on (`abandon`) is taken out if it lands, unless a later attempt
   * of the same connection began meanwhile (that one adds it again, and is answered).
   */
  const entering = new Map<string, { abandoned: boolean }>();
  // Who is in a room is read on every join, mostly the same users again: parsed once each.
  const memberCache = createMemberCache();
  /**
   * Each room's member list as this node last read it, by the members hash's key, with its
   * version: a join of a room that did not change since is answered from here instead of Redis
   * sending (and this node parsing, and the answer serializing) the same list again. A
   * restart's reconnect storm re-joins rooms whose members all stay (they have the grace to come
   * back): one list read per room instead of per join. A room past the limit is held as the
   * sample last read (`sampledAt`: the limit it was read with), as good as a fresh one while the
   * version holds: everyone in it is still there, as named.
   */
  const memberLists = createGenerations<string, HeldList>({
    maxEntries: 10_000,
  });
  /**
   * Whether every registered node keeps the members versions (judged at each heartbeat): one of
   * an older version (a rolling deploy from it, or back to it) changes members without changing
   * their version, so while one is registered this node holds no list and trusts none it held.
   */
  let listsTrusted = false;
  const pendingKey = (ref: RoomRef, connectionId: string) =>
    `${ref.workspace}/${ref.room}/${connectionId}`;
  /**
   * Departures found but not yet handed out: kept across a sweep that fails half-way, so each
   * is still announced, once.
   */
  const found: Departure[] = [];

  async function removeConnection(
    ref: RoomRef,
    userId: string,
    connectionId: string,
    node: string,
    graceMs = 0,
  ): Promise<{ removal: Removal; member?: Member }> {
    const now = Date.now();
    // Indexed before the grace can begin: a sweep then never misses a leaving user.
    if (graceMs > 0)
      await client.zAdd(keys.departures, { score: now + graceMs, value: departureOf(ref, userId) });
    const { outcome, member } = await client.removeConnection(
      presenceKeys(ref),
      connectionId,
      ref.room,
      graceMs,
      now,
    );
    await client.sRem(keys.nodeConnections(node), entryOf(ref, connectionId, userId));
    if (outcome === 2 && member) return { removal: 'left', member: JSON.parse(member) as Member };
    return { removal: outcome === 1 ? 'leaving' : 'stayed' };
  }

  /** Ends the user's grace if it is over; drops their index entry unless a later grace began. */
  async function settleDeparture(ref: RoomRef, userId: string): Promise<Member | undefined> {
    const now = Date.now();
    const { outcome, member } = await client.settleDeparture(
      presenceKeys(ref),
      userId,
      ref.room,
      now,
    );
    await client.forgetDeparture(keys.departures, departureOf(ref, userId), now);
    return outcome === 2 && member ? (JSON.parse(member) as Member) : undefined;
  }

  /** Leaving users whose grace ended without their node settling it (it stopped, or died). */
  async function settleOverdue(): Promise<void> {
    const due = await client.zRangeByScore(keys.departures, '-inf', Date.now(), {
      LIMIT: { offset: 0, count: 200 },
    });
    for (const entry of due) {
      const [workspace, room, userId] = JSON.parse(entry) as DepartureEntry;
      const ref = { workspace, room };
      const member = await settleDeparture(ref, userId);
      if (member) found.push({ ref, member });
    }
  }

  /**
   * Removes connections recorded under `node` (its index entries), room by room in one script
   * call each (`removeConnectionsScript`), keeping the users who thereby left. With a grace, the
   * users are indexed as leaving first, so a sweep never misses one; an entry is unindexed only
   * once its removal is done, so a failure leaves it to be removed again. Rejects with the first
   * failure.
   */
  async function removeEntries(node: string, entries: readonly string[], graceMs: number) {
    const now = Date.now();
    const rooms = new Map<string, { ref: RoomRef; connectionIds: string[]; entries: string[] }>();
    const departures = new Set<string>();
    for (const entry of entries) {
      const [workspace, room, connectionId, userId] = JSON.parse(entry) as NodeEntry;
      const key = JSON.stringify([workspace, room]);
      const group = rooms.get(key) ?? { ref: { workspace, room }, connectionIds: [], entries: [] };
      rooms.set(key, group);
      group.connectionIds.push(connectionId);
      group.entries.push(entry);
      if (graceMs > 0) departures.add(departureOf(group.ref, userId));
    }
    for (const chunk of chunksOf([...departures]))
      await client.zAdd(
        keys.departures,
        chunk.map((value) => ({ score: now + graceMs, value })),
      );
    await inParallel([...rooms.values()], async ({ ref, connectionIds, entries: indexed }) => {
      for (const chunk of chunksOf(connectionIds)) {
        const left = await client.removeConnections(
          presenceKeys(ref),
          ref.room,
          graceMs,
          now,
          chunk,
        );
        for (const json of left) found.push({ ref, member: JSON.parse(json) as Member });
      }
      for (const chunk of chunksOf(indexed)) await client.sRem(keys.nodeConnections(node), chunk);
    });
  }

  /** Removes every connection recorded under the dead `node`: its users who thereby left are found. */
  async function reapNode(node: string): Promise<void> {
    await removeEntries(node, await client.sMembers(keys.nodeConnections(node)), 0);
  }

  /**
   * What an earlier process with this node id left (it was killed, or restarted), read before
   * this one records anything: its connections were dropped, not left, so their users get the
   * grace to come back (to this node or another) before anyone is told they left. Removed in
   * the background while the node serves, so a restart is not held up by it; a removal that
   * fails is retried by the sweeps, as any failed removal is.
   */
  async function reapLeftovers(entries: string[]): Promise<void> {
    try {
      await removeEntries(nodeId, entries, restartGraceMs);
    } catch {
      for (const entry of entries) {
        const [workspace, room, connectionId, userId] = JSON.parse(entry) as NodeEntry;
        const ref = { workspace, room };
        pending.set(pendingKey(ref, connectionId), { ref, userId, connectionId });
      }
    }
  }

  async function retryPending(): Promise<void> {
    for (const [key, entry] of pending) {
      // Entering again: its own add stands, and its undo (should it fail) is its own.
      if (entering.has(key)) continue;
      const { ref, userId, connectionId } = entry;
      const { member } = await removeConnection(ref, userId, connectionId, nodeId);
      // A later attempt may have scheduled an undo of its own meanwhile: that one stays.
      if (pending.get(key) === entry) pending.delete(key);
      if (member) found.push({ ref, member });
    }
  }

  async function reapDeadNodes(): Promise<void> {
    // Right after (re)connecting, a live node may not have renewed its heartbeat yet (Redis
    // was away longer than it lives): judge nobody before watching for one full lifetime.
    if (connectedForMs() < aliveMs) return;
    for (const node of await client.sMembers(keys.nodes)) {
      if (node === nodeId || (await client.exists(keys.alive(node))) === 1) continue;
      // One survivor cleans up; the others see the claim and skip this node.
      const claimed = await client.set(keys.reaper(node), nodeId, { NX: true, PX: ttlMs });
      if (claimed !== 'OK') continue;
      await reapNode(node);
      await client.del(keys.nodeConnections(node));
      await unregister(node);
    }
  }

  /** Takes a node out of the registry, and out of the nodes keeping members versions with it. */
  async function unregister(node: string): Promise<void> {
    await client.sRem(keys.nodes, node);
    await client.sRem(keys.versionedNodes, node);
  }

  /**
   * Records the connection under this node, then in the room (so a survivor can always remove
   * what a node that dies leaves behind), with `addConnection()` alone. Where Redis carries out
   * commands in the order sent, both go in one round trip.
   */
  const addAlone: AddRunner<undefined> = async (call, index) => {
    const indexing = client.sAdd(index.key, index.entry);
    if (!inOrder) await indexing;
    const adding = client.addConnection(call);
    // Both settle before this answers; a failed index undoes the add (enterWith) all the same.
    const [indexed, added] = await Promise.allSettled([indexing, adding]);
    if (indexed.status === 'rejected') throw indexed.reason;
    if (added.status === 'rejected') throw added.reason;
    return { added: added.value, also: undefined };
  };

  /**
   * Adds the connection to the room with `run`, answering who is there right after: up to
   * `membersMax` of them, parsed, the member among them — or the list this node holds when the
   * room did not change since it read it; and what `run` read beside it.
   */
  async function enterWith<T>(
    ref: RoomRef,
    member: Member,
    connectionId: string,
    membersMax: number,
    run: AddRunner<T>,
  ): Promise<{ presence: EnteredPresence; also: T }> {
    const roomKeys = presenceKeys(ref);
    const known = listsTrusted
      ? usableList(memberLists.get(roomKeys.members), membersMax)
      : undefined;
    const key = pendingKey(ref, connectionId);
    pending.delete(key);
    const attempt = { abandoned: false };
    entering.set(key, attempt);
    // Undone at the next sweep: an add nobody will be answered about (see `entering`).
    const undoIfLatest = () => {
      if (entering.get(key) === attempt) pending.set(key, { ref, userId: member.id, connectionId });
    };
    try {
      const ran = await run(
        {
          keys: roomKeys,
          connectionId,
          userId: member.id,
          memberJson: JSON.stringify(member),
          room: ref.room,
          membersMax,
          knownVersion: known?.version ?? '',
        },
        { key: keys.nodeConnections(nodeId), entry: entryOf(ref, connectionId, member.id) },
      );
      // Landed after its caller gave up (it missed its deadline): nobody will hear of it.
      if (attempt.abandoned) undoIfLatest();
      return {
        presence: presenceOf(ran.added, roomKeys, known, member, membersMax),
        also: ran.also,
      };
    } catch (error) {
      // The add may have landed before the failure (or before what `run` read beside it
      // failed): undo it once Redis answers again, unless this connection enters again first.
      undoIfLatest();
      throw error;
    } finally {
      if (entering.get(key) === attempt) entering.delete(key);
    }
  }

  /** Who is there, from the add's answer: parsed, or the list this node holds. */
  function presenceOf(
    added: AddConnectionReply,
    roomKeys: PresenceKeys,
    known: HeldList | undefined,
    member: Member,
    membersMax: number,
  ): EnteredPresence {
    const { arrived, count, version, members: listed } = added;
    if (!listed) {
      // Unchanged since this node read it: Redis answered only if the version was the one held.
      if (!known) throw new Error('Redis answered no member list for a room not held');
      // A whole list of this version holds the joiner (their arrival would have changed it); a
      // sample may not, and the join handler looks for them in the list as well.
      const members =
        known.sampledAt === undefined
          ? known.members
          : withMember(known.members, member, membersMax);
      return { arrived, count, members };
    }
    const members = listed.map(memberCache.parse);
    if (version !== '' && listsTrusted && membersMax > 0) {
      const sampledAt = count > members.length ? membersMax : undefined;
      memberLists.set(roomKeys.members, { version, members, sampledAt });
    }
    return { arrived, count, members };
  }

  const enter = async (ref: RoomRef, member: Member, connectionId: string, membersMax: number) =>
    (await enterWith(ref, member, connectionId, membersMax, addAlone)).presence;

  async function heartbeat(): Promise<void> {
    await client.set(keys.alive(nodeId), '1', { PX: aliveMs });
    await client.sAdd(keys.nodes, nodeId);
    await client.sAdd(keys.versionedNodes, nodeId);
    const [registered, versioned] = await Promise.all([
      client.sMembers(keys.nodes),
      client.sMembers(keys.versionedNodes),
    ]);
    const keeping = new Set(versioned);
    listsTrusted = registered.every((node) => keeping.has(node));
    if (!listsTrusted) memberLists.clear();
  }

  return {
    async add(ref, member, connectionId) {
      return (await enter(ref, member, connectionId, 0)).arrived;
    },

    enter,
    enterWith,

    abandon(ref, connectionId) {
      const attempt = entering.get(pendingKey(ref, connectionId));
      if (attempt) attempt.abandoned = true;
    },

    async remove(ref, userId, connectionId, graceMs = 0) {
      try {
        return (await removeConnection(ref, userId, connectionId, nodeId, graceMs)).removal;
      } catch (error) {
        pending.set(pendingKey(ref, connectionId), { ref, userId, connectionId });
        throw error;
      }
    },

    async members(ref, limit = Number.POSITIVE_INFINITY) {
      const key = keys.members(ref);
      // Beyond the limit a sample, counted and read in one step.
      const all = Number.isFinite(limit)
        ? (await client.presentMembers(key, limit)).members
        : await client.hVals(key);
      return all.map(memberCache.parse);
    },
    async page(ref, cursor, limit) {
      // By user id, after the cursor (the last id of the previous page, base64url): no one twice.
      const after = cursor === undefined ? '' : Buffer.from(cursor, 'base64url').toString();
      const { members, next } = await client.presencePage(
        { members: keys.members(ref), presentIds: keys.presentIds(ref) },
        after,
        limit,
      );
      return {
        members: members.map(memberCache.parse),
        nextCursor: next ? Buffer.from(next).toString('base64url') : null,
      };
    },
    async count(ref) {
      return client.hLen(keys.members(ref));
    },
    async counts(workspace, rooms) {
      if (rooms.length === 0) return new Map();
      const counts = await client.hmGet(keys.counts(workspace), rooms);
      return new Map(rooms.map((room, i) => [room, Math.max(0, Number(counts[i] ?? 0))]));
    },
    settle: settleDeparture,
    async sweep() {
      await retryPending();
      await reapDeadNodes();
      await settleOverdue();
      return found.splice(0);
    },

    heartbeat,

    async start() {
      const leftovers = await client.sMembers(keys.nodeConnections(nodeId));
      await heartbeat();
      // Departures found are handed out by sweeps, once there is a server to tell.
      void reapLeftovers(leftovers);
    },

    async stop() {
      memberCache.stop();
      memberLists.stop();
      // Still holding connections, with a grace to give their users: the connections were cut
      // off by the stop, not left, so the node stops the way a crash does, with the grace
      // guaranteed — it stays alive for just the grace (one command, however many it holds).
      // Whoever comes first takes them out: this node restarted (its start reaps what the
      // earlier process left, with the grace, in the background), or a survivor once the grace
      // is over. Removing them here instead (a script call per room and 500 connections) took
      // a second of a restart's stop in the reconnect storm, while every client waited.
      if (restartGraceMs > 0 && (await client.sCard(keys.nodeConnections(nodeId))) > 0) {
        await client.set(keys.alive(nodeId), '1', { PX: restartGraceMs });
        return;
      }
      // Nothing to hand over (or no grace to give: they leave now): unregistered at once.
      await removeEntries(nodeId, await client.sMembers(keys.nodeConnections(nodeId)), 0);
      await client.del(keys.alive(nodeId));
      // Connections whose removal failed stay recorded: survivors clean them up soon, since
      // this node no longer heartbeats.
      if ((await client.sCard(keys.nodeConnections(nodeId))) === 0) {
        await unregister(nodeId);
      }
    },
  };
}
