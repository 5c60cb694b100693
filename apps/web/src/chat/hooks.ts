'use client';

import type { ParleySnapshot, Removal, RoleChange, RoomDetails, Timeline } from '@parley/client';
import { type ParleyStore, shallowEqual, useParleySelector } from '@parley/client/react';
import type { ErrorBody, Member, Role, Visibility } from '@parley/protocol';

/**
 * The slices of a workspace client's snapshot the screens read, each through a selector that
 * answers the same object while its slice is unchanged (`@parley/client/react`), so a component
 * re-renders only for what it shows: the message list for its room's timeline, not for typing,
 * presence or another room.
 */

const NOBODY: Member = { id: '', name: '' };
const EMPTY: readonly never[] = [];

/**
 * This user, as the client knows them (a renewed session may be a new user); `fallback` until
 * there is a client.
 */
export function useMe(client: ParleyStore | null, fallback: Member = NOBODY): Member {
  return useParleySelector(client, (snapshot) => snapshot.me, fallback);
}

/** A room's messages, gaps and paging: changes with what the room's log holds, nothing else. */
export function useTimeline(client: ParleyStore | null, room: string): Timeline | undefined {
  return useParleySelector(client, (snapshot) => snapshot.rooms[room]?.timeline, undefined);
}

/** What the server says of a room (topic, count online, visibility, read-only, my role). */
export function useRoomDetails(client: ParleyStore | null, room: string): RoomDetails | undefined {
  return useParleySelector(client, (snapshot) => snapshot.rooms[room]?.details, undefined);
}

export interface RoomStatus {
  /** The client holds the room (opened or joined, not left). */
  known: boolean;
  joined: boolean;
  /** Why the last join failed. */
  error: ErrorBody | null;
  /** This user was removed from it. */
  removed: Removal | null;
}

const UNKNOWN_ROOM: RoomStatus = { known: false, joined: false, error: null, removed: null };

/** Whether a room is there for this user: joined, refused, removed. */
export function useRoomStatus(client: ParleyStore | null, room: string): RoomStatus {
  return useParleySelector(
    client,
    (snapshot) => {
      const state = snapshot.rooms[room];
      if (!state) return UNKNOWN_ROOM;
      return { known: true, joined: state.joined, error: state.error, removed: state.removed };
    },
    UNKNOWN_ROOM,
    shallowEqual,
  );
}

export interface NavRoom {
  name: string;
  unread: number;
  visibility: Visibility;
}

/** Equal when both lists hold equal entries (one level deep) in the same order. */
function sameEntries<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((entry, i) => shallowEqual(entry, b[i]));
}

/** The rooms this tab is in, for the sidebar: those it was removed from are not. */
export function useJoinedRooms(client: ParleyStore | null): readonly NavRoom[] {
  return useParleySelector<readonly NavRoom[]>(
    client,
    (snapshot) =>
      Object.values(snapshot.rooms)
        .filter((state) => !state.removed)
        .map((state) => ({
          name: state.name,
          unread: state.unread,
          visibility: state.details.visibility,
        })),
    EMPTY,
    sameEntries,
  );
}

/** Messages not read yet in all the rooms this tab is in. */
export function useUnreadTotal(client: ParleyStore | null): number {
  return useParleySelector(client, unreadTotal, 0);
}

function unreadTotal(snapshot: ParleySnapshot): number {
  let total = 0;
  for (const state of Object.values(snapshot.rooms)) if (!state.removed) total += state.unread;
  return total;
}

export interface RoomRemoval extends Removal {
  room: string;
}

/**
 * The rooms this user was removed (or banned) from, until they leave them (dismissing the
 * notice) or open them again.
 */
export function useRemovals(client: ParleyStore | null): readonly RoomRemoval[] {
  return useParleySelector<readonly RoomRemoval[]>(
    client,
    (snapshot) =>
      Object.values(snapshot.rooms).flatMap((state) =>
        state.removed ? [{ room: state.name, ...state.removed }] : [],
      ),
    EMPTY,
    sameEntries,
  );
}

/** The latest change of this user's role in a room. */
export function useRoleChange(client: ParleyStore | null): RoleChange | null {
  return useParleySelector(client, (snapshot) => snapshot.roleChange, null);
}

/** Who is present in each room this tab is in, not removed from (to offer in "add someone"). */
export function usePresentEverywhere(client: ParleyStore | null): readonly (readonly Member[])[] {
  return useParleySelector<readonly (readonly Member[])[]>(
    client,
    (snapshot) =>
      Object.values(snapshot.rooms).flatMap((state) => (state.removed ? [] : [state.members])),
    EMPTY,
    (a, b) => a.length === b.length && a.every((members, i) => members === b[i]),
  );
}

/** This user's role in a room (what they may do to others' messages). */
export function useMyRole(client: ParleyStore | null, room: string): Role | null {
  return useParleySelector(client, (snapshot) => snapshot.rooms[room]?.details.role ?? null, null);
}
