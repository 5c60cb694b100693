import type { ParleyClient } from '@parley/client';
import {
  type AckOf,
  type ClientEventName,
  ErrorCode,
  fail,
  type Member,
  type PayloadInputOf,
  type Role,
  type RoomMember,
} from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { rosterPresence } from './roster';
import { describeError } from './words';

/**
 * What owners and moderators do besides chatting: create rooms, change them, and keep their
 * members. Each action answers why it failed in words, or null once the server has done it.
 */

/** Creates a room the user then owns (without joining it). */
export function createRoom(
  client: ParleyClient | null,
  payload: PayloadInputOf<'room:create'>,
): Promise<AckOf<'room:create'>> {
  return ask(client, 'room:create', payload);
}

/** A request through the client; `unavailable` while there is none yet, as when offline. */
function ask<E extends ClientEventName>(
  client: ParleyClient | null,
  event: E,
  payload: PayloadInputOf<E>,
): Promise<AckOf<E>> {
  if (!client) return Promise.resolve(fail(ErrorCode.Unavailable, 'not connected') as AckOf<E>);
  return client.request(event, payload);
}

/** Changes a room's topic or read-only flag; the room hears of it as `room:updated`. */
export async function configureRoom(
  client: ParleyClient | null,
  room: string,
  change: { topic?: string | null; readOnly?: boolean },
): Promise<string | null> {
  const result = await ask(client, 'room:update', { room, ...change });
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
  client: ParleyClient | null,
  room: string,
  joined: boolean,
  enabled: boolean,
): RoomMembers {
  const [members, setMembers] = useState<RoomMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!client || !enabled || !joined) return;
    let current = true;
    function follow(where: string, member: Member, online: boolean) {
      if (where === room) setMembers((list) => list && rosterPresence(list, member, online));
    }
    const stops = [
      client.on('presence:joined', ({ room: where, member }) => follow(where, member, true)),
      client.on('presence:left', ({ room: where, member }) => follow(where, member, false)),
      // Several at once: who left, then who came.
      client.on('presence:changed', ({ room: where, left, joined }) => {
        for (const member of left) follow(where, member, false);
        for (const member of joined) follow(where, member, true);
      }),
    ];
    void client.request('member:list', { room }).then((result) => {
      if (!current) return;
      setMembers(result.ok ? result.members : null);
      setError(result.ok ? null : describeError(result.error, room));
    });
    return () => {
      current = false;
      for (const stop of stops) stop();
    };
  }, [client, room, joined, enabled]);

  const add = useCallback<RoomMembers['add']>(
    async ({ userId, name }, role) => {
      const result = await ask(client, 'member:add', { room, userId, name, role });
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
      const result = await ask(client, 'member:remove', { room, userId, banSeconds });
      if (!result.ok) return describeError(result.error, room);
      setMembers((list) => list?.filter((m) => m.id !== userId) ?? null);
      return null;
    },
    [client, room],
  );

  return { members, error, add, remove };
}
