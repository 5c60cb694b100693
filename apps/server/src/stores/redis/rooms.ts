import type { RoomRecord, RoomStore } from '../types';
import type { RedisClient } from './client';
import type { RedisKeys } from './keys';

/** What is stored per room; the name is the hash field. */
interface StoredRoom {
  topic: string | null;
}

const NEW_ROOM = JSON.stringify({ topic: null } satisfies StoredRoom);

function decode(name: string, json: string): RoomRecord {
  return { name, topic: (JSON.parse(json) as StoredRoom).topic };
}

export function createRedisRoomStore(client: RedisClient, keys: RedisKeys): RoomStore {
  return {
    async ensure({ workspace, room }) {
      const key = keys.rooms(workspace);
      await client.hSetNX(key, room, NEW_ROOM);
      return decode(room, (await client.hGet(key, room)) ?? NEW_ROOM);
    },
    async get({ workspace, room }) {
      const json = await client.hGet(keys.rooms(workspace), room);
      return json === null ? undefined : decode(room, json);
    },
    async list(workspace) {
      const all = await client.hGetAll(keys.rooms(workspace));
      return Object.entries(all).map(([name, json]) => decode(name, json));
    },
    async setTopic({ workspace, room }, topic) {
      await client.hSet(
        keys.rooms(workspace),
        room,
        JSON.stringify({ topic } satisfies StoredRoom),
      );
      return { name: room, topic };
    },
  };
}
