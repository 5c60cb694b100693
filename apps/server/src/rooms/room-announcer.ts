import {
  type Member,
  type PresenceMode,
  ServerEvent,
  workspaceOfNamespace,
} from '@parley/protocol';
import { presenceModeOf } from '../presence/mode';
import { type PresenceChangeOf, presenceEvents } from '../presence/presence-events';
import { writesTogether } from '../socket/fast-path';
import { type ParleyNamespace, roomChannel } from '../socket/types';
import type { Stores } from '../stores/types';
import type { LobbyCounts } from './lobby-counts';
import { figuresOf } from './room-figures';

/**
 * Tells a room's members who came and went, and them and the workspace's lobbies (sockets that
 * listed its rooms; at their own pace: lobby-counts.ts) the room's online count, presence mode
 * and topic. A quiet room hears of a change at once; what happens in the window after that waits
 * for its end and goes out together, then the next window starts (only if something happened).
 * So a room costs at most one presence event and one count per window whatever its size or
 * churn, and the figures are read when they are sent, so never stale. Rooms past `membersMax`
 * users online get the count only (presence-events.ts), and a longer window. One room's sends
 * go out in order, each after the one before.
 */
export interface RoomAnnouncer {
  /** The room's count or topic changed. */
  announce(namespace: ParleyNamespace, room: string): void;
  /** A user arrived in the room (their first connection there). */
  arrived(namespace: ParleyNamespace, room: string, member: Member, connectionId: string): void;
  /** A user left the room (their last connection there). */
  departed(namespace: ParleyNamespace, room: string, member: Member): void;
  /** From now on announce at once, and send what is waiting (the node is shutting down). */
  flushAll(): Promise<void>;
}

/** A room's open window: the last change of each user in it, in the order they happened. */
interface Window {
  namespace: ParleyNamespace;
  room: string;
  changes: Map<string, PresenceChangeOf>;
  /** Something happened since the last send. */
  due: boolean;
  /** The room's last send: the next one waits for it, so one room's events never overtake. */
  sending: Promise<void>;
  /** How long the next window lasts: longer for a room in `count` presence (its last send's). */
  windowMs: number;
  /** The room's presence mode at its last send whose count was read. */
  presence: PresenceMode;
  timer?: NodeJS.Timeout;
}

export function createRoomAnnouncer(
  stores: Pick<Stores, 'rooms' | 'presence'>,
  {
    intervalMs,
    countIntervalMs,
    membersMax,
    lobbies,
    track,
  }: {
    intervalMs: number;
    /**
     * The window of a room in `count` presence: its count reaches every member each window, so
     * in a room of thousands coming and going that is most of what presence costs.
     */
    countIntervalMs: number;
    membersMax: number;
    /** Lobbies that are not in the room hear its figures at their own, slower pace. */
    lobbies: LobbyCounts;
    track(work: Promise<unknown>): void;
  },
): RoomAnnouncer {
  const windows = new Map<string, Window>();
  let immediate = false;

  /**
   * Sends one window's changes and the room's figures. The changes go out whatever the figures'
   * reads answer: a departure lost to a failed count read was a ghost in every member's list
   * until they re-joined. Figures that could not be read are not sent (the next window tries
   * once more); the changes then go out in the room's last known presence mode.
   */
  async function send(window: Window, changes: PresenceChangeOf[]): Promise<void> {
    const { namespace, room } = window;
    const ref = { workspace: workspaceOfNamespace(namespace.name) ?? '', room };
    const [record, count, present] = await Promise.allSettled([
      stores.rooms.get(ref),
      stores.presence.count(ref),
      // Who is there now, for a room that lists its members: see `stillTrue`.
      changes.length > 0 && window.presence === 'members'
        ? stores.presence.members(ref, membersMax + 1)
        : undefined,
    ]);
    const memberCount = count.status === 'fulfilled' ? count.value : undefined;
    const presence =
      memberCount === undefined ? window.presence : presenceModeOf(memberCount, membersMax);
    window.presence = presence;
    window.windowMs = presence === 'count' ? countIntervalMs : intervalMs;
    const unread = record.status === 'rejected' || memberCount === undefined;
    // Tried again next window, once: a store down for longer leaves the figures to the room's
    // next change, rather than every busy room asking it five times a second meanwhile.
    if (unread && changes.length > 0) window.due = true;
    const figures =
      !unread && record.value && memberCount !== undefined
        ? figuresOf(room, record.value, memberCount, membersMax)
        : undefined;
    const events = presenceEvents(
      room,
      present.status === 'fulfilled' ? stillTrue(changes, present.value, membersMax) : changes,
      presence,
    );
    const emitAll = () => {
      for (const { event, payload, except } of events) {
        const to = namespace.to(roomChannel(room));
        (except ? to.except(except) : to).emit(event, payload as never);
      }
      if (figures) namespace.to(roomChannel(room)).emit(ServerEvent.RoomUpdated, figures);
    };
    // Who came and went and the room's new figures are one update: each member's socket gets
    // them in one write, not one per event. (A room in `count` presence gets the figures alone.)
    if (events.length > 0 && figures) writesTogether(emitAll);
    else emitAll();
    // A private room's figures are its members' business: lobbies never hear of it.
    if (figures && figures.visibility === 'public') lobbies.offer(namespace, figures);
  }

  function sendNow(key: string, window: Window): void {
    const { changes } = window;
    window.changes = new Map();
    window.due = false;
    // An emit that throws is a bug, not an outage: the room's next sends still go out.
    window.sending = window.sending.then(() => send(window, [...changes.values()])).catch(() => {});
    track(window.sending);
    clearTimeout(window.timer);
    if (immediate) return;
    window.timer = setTimeout(() => {
      if (window.due) sendNow(key, window);
      else windows.delete(key);
    }, window.windowMs);
  }

  function note(namespace: ParleyNamespace, room: string, change?: PresenceChangeOf): void {
    const key = `${namespace.name}\u0000${room}`;
    let window = windows.get(key);
    const opening = window === undefined;
    if (!window) {
      window = {
        namespace,
        room,
        changes: new Map(),
        due: false,
        sending: Promise.resolve(),
        windowMs: intervalMs,
        presence: 'members',
      };
      windows.set(key, window);
    }
    if (change) {
      // A later change of the same user replaces the earlier one and goes last: what is sent is
      // where each user ended up, in the order they got there.
      window.changes.delete(change.member.id);
      window.changes.set(change.member.id, change);
    }
    window.due = true;
    if (opening || immediate) sendNow(key, window);
  }

  return {
    announce(namespace, room) {
      note(namespace, room);
    },
    arrived(namespace, room, member, connectionId) {
      note(namespace, room, { member, joined: true, connectionId });
    },
    departed(namespace, room, member) {
      note(namespace, room, { member, joined: false });
    },
    async flushAll() {
      immediate = true;
      for (const [key, window] of windows) {
        if (window.due) sendNow(key, window);
        clearTimeout(window.timer);
      }
      await Promise.all([...windows.values()].map((window) => window.sending));
      windows.clear();
      lobbies.flushAll();
    },
  };
}

/**
 * The changes that still hold: arrivals of users present now, departures of users gone. Each
 * node batches its own changes, so a change waiting for this node's window could reach members
 * after the same user's later one, sent at once by another node (left here, back there: shown
 * gone while present). The store says where each user ended up; only a whole list is trusted
 * (more than `membersMax` users online is a sample: everything is sent, as before).
 */
function stillTrue(
  changes: PresenceChangeOf[],
  present: readonly Member[] | undefined,
  membersMax: number,
): PresenceChangeOf[] {
  if (present === undefined || present.length > membersMax) return changes;
  const ids = new Set(present.map((member) => member.id));
  return changes.filter((change) => change.joined === ids.has(change.member.id));
}
