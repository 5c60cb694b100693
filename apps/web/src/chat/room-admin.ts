import type {
  AckOf,
  Member,
  PayloadInputOf,
  Role,
  RoomMember,
  ServerPayloadOf,
} from '@parley/protocol';
import { request } from '@parley/protocol/client';
import { useCallback, useEffect, useState } from 'react';
import { listen } from './listen';
import { rosterPresence } from './roster';
import { describeError } from './words';
import type { WorkspaceClient } from './workspace-client';

/**
 * What owners and moderators do besides chatting: create rooms, change them, and keep their
 * members. Each action answers why it failed in words, or null once the server has done it.
 */

/** Creates a room the user then owns (without joining it). */
export function createRoom(
  client: WorkspaceClient,
  payload: PayloadInputOf<'room:create'>,
): Promise<AckOf<'room:create'>> {
  return request(client.socket, 'room:create', payload);
}

/** Changes a room's topic or read-only flag; the room hears of it as `room:updated`. */
export async function configureRoom(
  client: WorkspaceClient,
  room: string,
  change: { topic?: string | null; readOnly?: boolean },
): Promise<string | null> {
  const result = await request(client.socket, 'room:update', { room, ...change });
  return result.ok ? null : describeError(result.error, room);
}

export interface RoomMembers {
  /** Stored members (owners first), then whoever else is in the room; null until listed. */
  members: RoomMember[] | null;
  /** Why the list could not be read. */
  error: string | null;
  /** Adds someone, or changes their role. */
  add(person: { userId: string; name?: string }, role: Role): Promise<string | null>;
  /** Removes someone; with `banSeconds` they may not come back until then. */
  remove(userId: string, banSeconds?: number): Promise<string | null>;
}

/**
 * A room's members with their roles, read when the room is joined (again, after a reconnect)
 * and kept live from presence. `enabled` false asks nothing (the panel is not shown).
 */
export function useRoomMembers(
  client: WorkspaceClient,
  room: string,
  joined: boolean,
  enabled: boolean,
): RoomMembers {
  const [members, setMembers] = useState<RoomMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!enabled || !joined) return;
    let current = true;
    const onJoined = ({ room: where, member }: ServerPayloadOf<'presence:joined'>) =>
      follow(where, member, true);
    const onLeft = ({ room: where, member }: ServerPayloadOf<'presence:left'>) =>
      follow(where, member, false);
    function follow(where: string, member: Member, online: boolean) {
      if (where === room) setMembers((list) => list && rosterPresence(list, member, online));
    }
    const stop = listen(client.socket, { 'presence:joined': onJoined, 'presence:left': onLeft });
    void request(client.socket, 'member:list', { room }).then((result) => {
      if (!current) return;
      setMembers(result.ok ? result.members : null);
      setError(result.ok ? null : describeError(result.error, room));
    });
    return () => {
      current = false;
      stop();
    };
  }, [client, room, joined, enabled]);

  const add = useCallback<RoomMembers['add']>(
    async ({ userId, name }, role) => {
      const result = await request(client.socket, 'member:add', { room, userId, name, role });
      if (!result.ok) return describeError(result.error, room);
      const added = result.member;
      setMembers((list) =>
        list?.some((m) => m.id === added.id)
          ? list.map((m) => (m.id === added.id ? added : m))
          : [...(list ?? []), added],
      );
      return null;
    },
    [client, room],
  );

  const remove = useCallback<RoomMembers['remove']>(
    async (userId, banSeconds) => {
      const result = await request(client.socket, 'member:remove', { room, userId, banSeconds });
      if (!result.ok) return describeError(result.error, room);
      setMembers((list) => list?.filter((m) => m.id !== userId) ?? null);
      return null;
    },
    [client, room],
  );

  return { members, error, add, remove };
}
