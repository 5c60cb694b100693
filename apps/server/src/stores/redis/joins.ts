import { defineScript } from '@redis/client';
import { composedJoinStore } from '../joins';
import type { JoinStore, RoomStore } from '../types';
import type { RedisClient } from './connections';
import type { RedisHistoryStore } from './history';
import {
  JOIN_HISTORY_LUA,
  type JoinHistoryRaw,
  joinHistoryArgs,
  joinHistoryReply,
} from './history-scripts';
import type { RedisKeys } from './keys';
import {
  ADD_CONNECTION_LUA,
  type AddConnectionCall,
  type AddConnectionRaw,
  addConnectionArgs,
  addConnectionKeys,
  addConnectionReply,
  type RedisPresenceStore,
} from './presence';
import { decodeRoom } from './rooms';

/** The history a join asks for, as `joinHistory`'s keys and arguments. */
interface JoinHistoryCall {
  seq: string;
  log: string;
  args: [string, string, string, string];
}

/**
 * A whole join's reads in one script, for a Redis whose keys all live on one server (standalone,
 * Sentinel): the connection recorded under this node (KEYS[8]: ARGV[7]) and then in the room's
 * presence (`addConnection()`, KEYS[1..7], ARGV[1..6]); the room's record (KEYS[9], field
 * ARGV[4]: the room); its history (`joinHistory`, KEYS[10..11], ARGV[8..11]). One EVALSHA
 * instead of four commands, and one moment for all of it. Answers { the add's answer, the
 * record's JSON ('' for none), the history's answer }.
 *
 * Not for Redis Cluster: the node's index and the room's history live in other slots than its
 * presence (keys.ts), and a script may only touch one.
 */
export const enterRoomScript = defineScript({
  NUMBER_OF_KEYS: 11,
  SCRIPT: `${ADD_CONNECTION_LUA}
${JOIN_HISTORY_LUA}
redis.call('SADD', KEYS[8], ARGV[7])
local added = addConnection()
local record = redis.call('HGET', KEYS[9], ARGV[4]) or ''
return {added, record, joinHistory(KEYS[10], KEYS[11], ARGV[8], ARGV[9], ARGV[10], ARGV[11])}`,
  parseCommand(
    parser,
    call: AddConnectionCall,
    index: { key: string; entry: string },
    roomsKey: string,
    history: JoinHistoryCall,
  ) {
    addConnectionKeys(parser, call);
    parser.pushKeys([index.key, roomsKey, history.seq, history.log]);
    addConnectionArgs(parser, call);
    parser.push(index.entry, ...history.args);
  },
  transformReply: ([added, record, history]: [AddConnectionRaw, string, JoinHistoryRaw]) => ({
    added: addConnectionReply(added),
    record: String(record),
    history: joinHistoryReply(history),
  }),
});

/**
 * A join's reads: in one script where every key is on one server (`sameServer`), else each from
 * its own store (Redis Cluster). `presence` and `history` unguarded: this store's own guard holds
 * the whole call to one deadline.
 */
export function createRedisJoinStore(
  client: RedisClient,
  keys: RedisKeys,
  stores: { presence: RedisPresenceStore; history: RedisHistoryStore; rooms: RoomStore },
  sameServer: boolean,
): JoinStore {
  if (!sameServer) return composedJoinStore(stores);
  const { presence, history } = stores;
  return {
    async enter(ref, { member, connectionId, membersMax }, query) {
      const { since, sinceId, recoveryMax, pageLimit } = query;
      const historyCall: JoinHistoryCall = {
        seq: keys.seq(ref),
        log: keys.log(ref),
        args: joinHistoryArgs(since, sinceId !== undefined, recoveryMax, pageLimit),
      };
      // What the script read is decoded inside the add's step, so that a failure there too
      // leaves the add to the presence store to undo.
      const entered = await presence.enterWith(
        ref,
        member,
        connectionId,
        membersMax,
        async (call, index) => {
          const reply = await client.enterRoom(call, index, keys.rooms(ref.workspace), historyCall);
          return {
            added: reply.added,
            also: {
              record: reply.record === '' ? undefined : decodeRoom(ref.room, reply.record),
              history: await history.joinAnswer(ref, query, reply.history),
            },
          };
        },
      );
      return { presence: entered.presence, ...entered.also };
    },
    abandon(ref, connectionId) {
      presence.abandon(ref, connectionId);
    },
  };
}
