import type { RoomRecord, RoomStore } from '../types';

export function createMemoryRoomStore(): RoomStore {
  const workspaces = new Map<string, Map<string, RoomRecord>>();
  const roomsOf = (workspace: string) => {
    let rooms = workspaces.get(workspace);
    if (!rooms) {
      rooms = new Map();
      workspaces.set(workspace, rooms);
    }
    return rooms;
  };

  return {
    async ensure({ workspace, room }) {
      const rooms = roomsOf(workspace);
      let record = rooms.get(room);
      if (!record) {
        record = { name: room, topic: null };
        rooms.set(room, record);
      }
      return { ...record };
    },
    async get({ workspace, room }) {
      const record = workspaces.get(workspace)?.get(room);
      return record && { ...record };
    },
    async list(workspace) {
      return [...(workspaces.get(workspace)?.values() ?? [])].map((record) => ({ ...record }));
    },
    async setTopic(ref, topic) {
      await this.ensure(ref);
      const record = roomsOf(ref.workspace).get(ref.room) as RoomRecord;
      record.topic = topic;
      return { ...record };
    },
  };
}
