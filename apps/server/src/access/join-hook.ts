import { ErrorCode, type Member, Role, WEBHOOK_HEADERS } from '@parley/protocol';
import { z } from 'zod';
import type { AccessConfig } from '../config';
import { ParleyError } from '../errors';
import { freeTimeSignal } from '../free-time';
import type { Logger } from '../logger';
import type { RoomRef } from '../stores/types';
import { throttledLog } from '../throttled-log';
import { signBody } from '../webhooks/signature';

/** What the team's backend answered: let them in (with a role), or not. */
export type HookDecision = { allow: true; role: Role } | { allow: false };

export interface JoinHook {
  /**
   * Asks the backend whether `user` may join the private room. Refusals and admissions are
   * cached for a while; a hook that does not answer in time, or fails, is `unavailable` — never
   * a silent allow.
   */
  ask(ref: RoomRef, user: Member): Promise<HookDecision>;
  /** Drops what is cached for the user in the room: after a removal, the backend is asked anew. */
  forget(ref: RoomRef, userId: string): void;
}

const HookAnswer = z.object({ allow: z.boolean(), role: Role.optional() });

/** Decisions kept at most: past it the oldest go (a flood of users cannot grow it). */
const MAX_CACHED = 10_000;

/**
 * The join hook (`JOIN_HOOK_URL`): Parley POSTs `{ workspace, room, user }`, signed like
 * webhooks; `{ "allow": true, "role"?: … }` admits (as member by default), `{ "allow": false }`
 * or 401 / 403 refuses. Concurrent joins of the same user and room share one call, and answers
 * are cached for `cacheSeconds`, so a hot room does not call the backend per join.
 */
export function createJoinHook(
  { url, secret, timeoutMs, cacheSeconds }: NonNullable<AccessConfig['joinHook']>,
  log: Logger,
): JoinHook {
  const cache = new Map<string, { decision: HookDecision; until: number }>();
  const inFlight = new Map<string, Promise<HookDecision>>();
  const failing = throttledLog(
    log,
    'warn',
    'join hook failing: joins of private rooms answer unavailable',
  );

  async function call(ref: RoomRef, user: Member): Promise<HookDecision> {
    const body = JSON.stringify({ workspace: ref.workspace, room: ref.room, user });
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Parley-JoinHook',
          [WEBHOOK_HEADERS.signature]: signBody(body, secret),
        },
        body,
        redirect: 'manual',
        // Free time: a busy node's own long turn does not time its backend out.
        signal: freeTimeSignal(timeoutMs),
      });
    } catch (error) {
      failing({ err: error, url });
      throw unavailable();
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel().catch(() => {});
      return { allow: false };
    }
    const answer = response.ok
      ? HookAnswer.safeParse(await response.json().catch(() => undefined))
      : undefined;
    if (!answer?.success) {
      await response.body?.cancel().catch(() => {});
      failing({ status: response.status, url });
      throw unavailable();
    }
    return answer.data.allow
      ? { allow: true, role: answer.data.role ?? 'member' }
      : { allow: false };
  }

  return {
    async ask(ref, user) {
      const key = keyOf(ref, user.id);
      const cached = cache.get(key);
      if (cached && cached.until > Date.now()) return cached.decision;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = call(ref, user).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const decision = await pending;
      if (cacheSeconds > 0) {
        cache.delete(key);
        cache.set(key, { decision, until: Date.now() + cacheSeconds * 1000 });
        if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
      }
      return decision;
    },
    forget(ref, userId) {
      cache.delete(keyOf(ref, userId));
    },
  };
}

const keyOf = (ref: RoomRef, userId: string) => `${ref.workspace}/${ref.room}\u0000${userId}`;

function unavailable(): ParleyError {
  return new ParleyError(
    ErrorCode.Unavailable,
    "the room's access check did not answer; try again shortly",
  );
}
