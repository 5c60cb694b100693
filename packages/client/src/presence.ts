import {
  type AckOf,
  type ErrorBody,
  ErrorCode,
  fail,
  LIMITS,
  type Member,
  type PayloadInputOf,
} from '@parley/protocol';
import type { PresenceFetch, RoomState } from './room';

/**
 * Who is present in a big room, on demand, and the refetch of a room's list when it comes back
 * from `count` to `members` presence: pure parts, driven by the client (client/presence-refetch.ts)
 * and the React layer (`usePresencePages`).
 */

/** The longest random delay before a stale member list is fetched again (see `presenceEffect`). */
export const PRESENCE_REFETCH_JITTER_MS = 1000;

/**
 * What a room's change asks of the client about its member list (an effect, as data):
 * - `refetch`: it went stale (the room came back to `members` presence): fetch it again with
 *   `presence:list` after `delayMs`, a random 0-1 s, so that the many clients of a room hovering
 *   at the server's threshold do not all ask at once, every time it flips.
 * - `cancelRefetch`: it is no longer stale (the room went back to `count`, a join answered the
 *   whole list, or the fetch did): drop a refetch still waiting.
 */
export type PresenceEffect = { type: 'refetch'; delayMs: number } | { type: 'cancelRefetch' };

/** `random` is `Math.random` unless a test fixes it. */
export function presenceEffect(
  before: Pick<RoomState, 'membersStatus'>,
  after: Pick<RoomState, 'membersStatus'>,
  random: () => number = Math.random,
): PresenceEffect | null {
  const was = before.membersStatus === 'stale';
  const is = after.membersStatus === 'stale';
  if (is && !was) return { type: 'refetch', delayMs: refetchDelay(random) };
  if (was && !is) return { type: 'cancelRefetch' };
  return null;
}

/** A random delay in [0, `PRESENCE_REFETCH_JITTER_MS`). */
export function refetchDelay(random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(PRESENCE_REFETCH_JITTER_MS - 1, Math.floor(r * PRESENCE_REFETCH_JITTER_MS));
}

/** One page of who is present: `presence:list`'s answer. */
export type PresencePage = AckOf<'presence:list'>;
export type PresencePageRequest = Omit<PayloadInputOf<'presence:list'>, 'room'>;

/** Pages walked at most for a whole list (100 pages of up to 100: far more than `members` mode). */
export const PRESENCE_WALK_MAX_PAGES = 100;

/**
 * Everyone present in a room: every page of `presence:list`, from the first, keyed by id (a user
 * who came and went while paging may be on two pages). The first failure answers for the walk.
 */
export async function walkPresence(
  list: (page: PresencePageRequest) => Promise<PresencePage>,
  {
    limit = LIMITS.presencePageMax,
    maxPages = PRESENCE_WALK_MAX_PAGES,
  }: { limit?: number; maxPages?: number } = {},
): Promise<PresenceFetch> {
  const byId = new Map<string, Member>();
  let cursor: string | undefined;
  let memberCount = 0;
  for (let page = 0; page < maxPages; page++) {
    const result = await list(cursor === undefined ? { limit } : { cursor, limit });
    if (!result.ok) return result;
    for (const member of result.members) byId.set(member.id, member);
    memberCount = result.memberCount;
    if (result.nextCursor === null) return { ok: true, members: [...byId.values()], memberCount };
    cursor = result.nextCursor;
  }
  return fail(ErrorCode.Internal, `presence:list still had more after ${maxPages} pages`);
}

/**
 * Who is present, as pages asked for on demand (a "show who's here" list of a big room): the
 * members of the pages so far, by id, and where the next page starts.
 */
export interface PresencePages {
  members: readonly Member[];
  /** Where the next page starts; null before the first page and after the last. */
  nextCursor: string | null;
  /** The server's count with the latest page; null before the first. */
  memberCount: number | null;
  /** The first page was asked for (and answered, or failed). */
  started: boolean;
  /** Every page was read: `members` is everyone who was present while they were read. */
  done: boolean;
  loading: boolean;
  /** Why the latest page could not be read (ask again with `loadMore`). */
  error: ErrorBody | null;
}

export type PresencePagesAction =
  | { type: 'loading' }
  | { type: 'page'; result: PresencePage }
  /** From the start again (the room changed, or the list is to be read afresh). */
  | { type: 'reset' };

export function emptyPresencePages(): PresencePages {
  return {
    members: [],
    nextCursor: null,
    memberCount: null,
    started: false,
    done: false,
    loading: false,
    error: null,
  };
}

/** Whether another page may be asked for now. */
export function mayLoadMore(pages: PresencePages): boolean {
  return !pages.loading && !pages.done;
}

/** The request for the next page: the first, or after the latest one read. */
export function nextPageRequest(pages: PresencePages, limit?: number): PresencePageRequest {
  return {
    ...(pages.nextCursor !== null && { cursor: pages.nextCursor }),
    ...(limit !== undefined && { limit }),
  };
}

export function presencePagesReducer(
  pages: PresencePages,
  action: PresencePagesAction,
): PresencePages {
  switch (action.type) {
    case 'loading':
      return pages.loading || pages.done ? pages : { ...pages, loading: true, error: null };
    case 'reset':
      return pages.started || pages.loading || pages.error ? emptyPresencePages() : pages;
    case 'page': {
      const { result } = action;
      if (!result.ok) return { ...pages, loading: false, error: result.error };
      const byId = new Map(pages.members.map((member) => [member.id, member]));
      for (const member of result.members) byId.set(member.id, member);
      return {
        members: [...byId.values()],
        nextCursor: result.nextCursor,
        memberCount: result.memberCount,
        started: true,
        done: result.nextCursor === null,
        loading: false,
        error: null,
      };
    }
  }
}
