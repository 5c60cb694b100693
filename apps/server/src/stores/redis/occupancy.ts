import { defineScript } from '@redis/client';
import type { OccupancyStore } from '../types';
import type { RedisClient } from './connections';
import type { RedisKeys } from './keys';

/**
 * Marks a room occupied (ARGV[2] = '1') if it has members, or vacant ('0') if it has none, in
 * one step with reading its member count: whatever nodes race, the marker flips once per real
 * change and the last call after the last presence change leaves it matching the count.
 * Answers 1 when the marker changed.
 *
 * KEYS: the room's members hash, the workspace's occupied set (both under `{workspace}`).
 * ARGV: room, '1' | '0'.
 */
export const markOccupiedScript = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
local hasMembers = redis.call('HLEN', KEYS[1]) > 0
if ARGV[2] == '1' then
  if not hasMembers then return 0 end
  return redis.call('SADD', KEYS[2], ARGV[1])
end
if hasMembers then return 0 end
return redis.call('SREM', KEYS[2], ARGV[1])`,
  parseCommand(parser, keys: { members: string; occupied: string }, room: string, value: boolean) {
    parser.pushKeys([keys.members, keys.occupied]);
    parser.push(room, value ? '1' : '0');
  },
  transformReply: (reply: number) => reply,
});

export function createRedisOccupancyStore(client: RedisClient, keys: RedisKeys): OccupancyStore {
  return {
    async mark(ref, occupied) {
      const changed = await client.markOccupied(
        { members: keys.members(ref), occupied: keys.occupied(ref.workspace) },
        ref.room,
        occupied,
      );
      return changed === 1;
    },
  };
}
