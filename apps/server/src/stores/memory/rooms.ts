import type { RoomPage, RoomRecord, RoomRef, RoomStore } from '../types';
import { refKey } from './keys';

/** One workspace's rooms: records by name, and the names in order for paging. */
class WorkspaceRooms {
  readonly records = new Map<string, RoomRecord>();
  readonly names: string[] = [];

  /** Where `name` is, or would go, in `names`. */
  position(name: string): number {
    let low = 0;
    let high = this.names.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.names[middle] as string) < name) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  add(record: RoomRecord): void {
    this.records.set(record.name, record);
    this.names.splice(this.position(record.name), 0, record.name);
  }

  delete(name: string): void {
    if (!this.records.delete(name)) return;
    this.names.splice(this.position(name), 1);
  }
}

export function createMemoryRoomStore(): RoomStore {
  const workspaces = new Map<string, WorkspaceRooms>();
  /** Candidates for expiry, by `refKey`, with when they became idle: in that order (a touch
   * deletes and re-inserts, so the Map's order is idle time's). */
  const candidates = new Map<string, { ref: RoomRef; since: number }>();
  const roomsOf = (workspace: string) => {
    let rooms = workspaces.get(workspace);
    if (!rooms) {
      rooms = new WorkspaceRooms();
      workspaces.set(workspace, rooms);
    }
    return rooms;
  };
  const candidate = (ref: RoomRef) => {
    const key = refKey(ref);
    candidates.delete(key);
    candidates.set(key, { ref: { ...ref }, since: Date.now() });
  };

  return {
    async create(ref, { maxRooms }) {
      const rooms = roomsOf(ref.workspace);
      if (rooms.records.has(ref.room)) return 'exists';
      if (rooms.records.size >= maxRooms) return 'full';
      rooms.add({ name: ref.room, topic: null });
      candidate(ref);
      return 'created';
    },
    async get({ workspace, room }) {
      const record = workspaces.get(workspace)?.records.get(room);
      return record && { ...record };
    },
    async page(workspace, { after, prefix = '', limit }): Promise<RoomPage> {
      const rooms = workspaces.get(workspace);
      if (!rooms) return { rooms: [], next: null };
      let start = rooms.position(after !== undefined && after >= prefix ? after : prefix);
      if (after !== undefined && rooms.names[start] === after) start++;
      const page: RoomRecord[] = [];
      for (let i = start; i < rooms.names.length; i++) {
        const name = rooms.names[i] as string;
        if (!name.startsWith(prefix)) break;
        if (page.length === limit) return { rooms: page, next: page.at(-1)?.name ?? null };
        page.push({ ...(rooms.records.get(name) as RoomRecord) });
      }
      return { rooms: page, next: null };
    },
    async count(workspace) {
      return workspaces.get(workspace)?.records.size ?? 0;
    },
    async setTopic(ref, topic) {
      const rooms = roomsOf(ref.workspace);
      let record = rooms.records.get(ref.room);
      if (!record) {
        record = { name: ref.room, topic: null };
        rooms.add(record);
      }
      record.topic = topic;
      return { ...record };
    },
    async touch(ref) {
      if (candidates.has(refKey(ref))) candidate(ref);
    },
    async idle(before, limit) {
      const found: RoomRef[] = [];
      for (const { ref, since } of candidates.values()) {
        if (since >= before || found.length === limit) break;
        found.push({ ...ref });
      }
      return found;
    },
    async retire(ref) {
      candidates.delete(refKey(ref));
    },
    async remove(ref) {
      candidates.delete(refKey(ref));
      workspaces.get(ref.workspace)?.delete(ref.room);
    },
  };
}
