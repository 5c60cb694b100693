import type { Role } from '@parley/protocol';

/**
 * The rooms a connection has joined, with its role in each: the part of a Map's API sessions
 * use, but the first room (most connections join one and stay) is kept in two fields, and a Map
 * is made only for more. An empty Map costs ≈ 180 bytes per idle socket (heap snapshots of
 * thousands of sockets); this, none beyond its own fields.
 */
export class JoinedRooms {
  private firstRoom: string | undefined = undefined;
  private firstRole: Role | null = null;
  private more: Map<string, Role | null> | undefined = undefined;

  get size(): number {
    return (this.firstRoom === undefined ? 0 : 1) + (this.more?.size ?? 0);
  }

  has(room: string): boolean {
    return this.firstRoom === room || (this.more?.has(room) ?? false);
  }

  get(room: string): Role | null | undefined {
    return this.firstRoom === room ? this.firstRole : this.more?.get(room);
  }

  set(room: string, role: Role | null): this {
    if (this.firstRoom === room) this.firstRole = role;
    else if (this.more?.has(room)) this.more.set(room, role);
    else if (this.firstRoom === undefined) {
      this.firstRoom = room;
      this.firstRole = role;
    } else {
      this.more ??= new Map();
      this.more.set(room, role);
    }
    return this;
  }

  delete(room: string): boolean {
    if (this.firstRoom === room) {
      this.firstRoom = undefined;
      this.firstRole = null;
      return true;
    }
    const deleted = this.more?.delete(room) ?? false;
    if (this.more?.size === 0) this.more = undefined;
    return deleted;
  }

  /** The rooms, the first one first. */
  keys(): IterableIterator<string> {
    const rooms = this.firstRoom === undefined ? [] : [this.firstRoom];
    if (this.more) rooms.push(...this.more.keys());
    return rooms.values();
  }
}
