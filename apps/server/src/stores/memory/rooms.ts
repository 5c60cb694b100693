import type { Visibility } from '@parley/protocol';
import type { RoomPage, RoomRecord, RoomRef, RoomStore } from '../types';
import { refKey } from './keys';

/** Names kept sorted, for paging by name. */
export class SortedNames {
  readonly names: string[] = [];

  /** Where `name` is, or would go. */
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

  add(name: string): void {
    const at = this.position(name);
    if (this.names[at] !== name) this.names.splice(at, 0, name);
  }

  delete(name: string): void {
    const at = this.position(name);
    if (this.names[at] === name) this.names.splice(at, 1);
  }

  /** Up to `limit` names after `after` that start with `prefix`, and the cursor for more. */
  page({ after, prefix = '', limit }: { after?: string; prefix?: string; limit: number }) {
    let start = this.position(after !== undefined && after >= prefix ? after : prefix);
    if (after !== undefined && this.names[start] === after) start++;
    const page: string[] = [];
    for (let i = start; i < this.names.length; i++) {
      const name = this.names[i] as string;
      if (!name.startsWith(prefix)) break;
      if (page.length === limit) return { names: page, next: page.at(-1) ?? null };
      page.push(name);
    }
    return { names: page, next: null };
  }
}

/** One workspace's rooms: records by name, and the names of each visibility in order. */
class WorkspaceRooms {
  readonly records = new Map<string, RoomRecord>();
  readonly index: Record<Visibility, SortedNames> = {
    public: new SortedNames(),
    private: new SortedNames(),
  };

  add(record: RoomRecord): void {
    this.records.set(record.name, record);
    this.index[record.visibility].add(record.name);
  }

  delete(name: string): void {
    const record = this.records.get(name);
    if (!record) return;
    this.records.delete(name);
    this.index[record.visibility].delete(name);
  }
}

/** The room store of this process, which also answers synchronously whether a room is read-only. */
export interface MemoryRoomStore extends RoomStore {
  readOnlyNow(ref: RoomRef): boolean;
}

export function createMemoryRoomStore(): MemoryRoomStore {
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
    readOnlyNow({ workspace, room }) {
      return workspaces.get(workspace)?.records.get(room)?.readOnly ?? false;
    },
    async create(ref, { maxRooms, visibility = 'public', readOnly = false, topic = null }) {
      const rooms = roomsOf(ref.workspace);
      if (rooms.records.has(ref.room)) return 'exists';
      if (rooms.records.size >= maxRooms) return 'full';
      rooms.add({ name: ref.room, topic, visibility, readOnly });
      if (topic === null) candidate(ref);
      return 'created';
    },
    async update(ref, { topic, readOnly }) {
      const record = workspaces.get(ref.workspace)?.records.get(ref.room);
      if (!record) return undefined;
      if (topic !== undefined) record.topic = topic;
      if (readOnly !== undefined) record.readOnly = readOnly;
      return { ...record };
    },
    async getMany(workspace, names) {
      const rooms = workspaces.get(workspace);
      return names.flatMap((name) => {
        const record = rooms?.records.get(name);
        return record ? [{ ...record }] : [];
      });
    },
    async get({ workspace, room }) {
      const record = workspaces.get(workspace)?.records.get(room);
      return record && { ...record };
    },
    async page(workspace, { visibility, ...query }): Promise<RoomPage> {
      const rooms = workspaces.get(workspace);
      if (!rooms) return { rooms: [], next: null };
      const { names, next } = rooms.index[visibility].page(query);
      return { rooms: names.map((name) => ({ ...(rooms.records.get(name) as RoomRecord) })), next };
    },
    async count(workspace) {
      return workspaces.get(workspace)?.records.size ?? 0;
    },
    async setTopic(ref, topic) {
      const rooms = roomsOf(ref.workspace);
      let record = rooms.records.get(ref.room);
      if (!record) {
        record = { name: ref.room, topic: null, visibility: 'public', readOnly: false };
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
