import { ErrorCode, type Member } from '@parley/protocol';
import type { ParleyConfig } from '../config';
import { ParleyError } from '../errors';
import type { NewRoom, RoomRef, Stores } from '../stores/types';

/** No limit on rooms: for the server API, whose keys are trusted and limited by rate. */
export const UNLIMITED_ROOMS = Number.MAX_SAFE_INTEGER;

export interface RoomCreation {
  /**
   * Creates a room with `creator` as its owner: within the creator's and the workspace's
   * creation budgets (`rate_limited`), the workspace's room limit and who may create rooms
   * (`forbidden`). Answers `exists` (spending nothing more) when the room is there already.
   */
  create(
    ref: RoomRef,
    creator: { user: Member; admin: boolean },
    room?: NewRoom,
  ): Promise<'created' | 'exists'>;
}

/**
 * Where clients create rooms (`room:create`, or `room:join` of a new name). Budgets are buckets
 * shared by every node, like the stores.
 */
export function createRoomCreation(
  stores: Stores,
  config: ParleyConfig['rooms'],
  { roomCreation }: ParleyConfig['access'],
): RoomCreation {
  const { createsPerUser, createsPerWorkspace, maxPerWorkspace } = config;
  const perUser = stores.rateLimiter(
    'room-creates-user',
    createsPerUser.perSecond,
    createsPerUser.burst,
  );
  const perWorkspace = stores.rateLimiter(
    'room-creates-workspace',
    createsPerWorkspace.perSecond,
    createsPerWorkspace.burst,
  );
  return {
    async create(ref, { user, admin }, room = {}) {
      if (await stores.rooms.get(ref)) return 'exists';
      if (roomCreation === 'admins' && !admin) {
        throw new ParleyError(ErrorCode.Forbidden, 'only admins create rooms in this workspace', {
          reason: 'admins_only',
        });
      }
      // The user's bucket first: one user out of budget must not spend the workspace's.
      const own = await perUser.take(`${ref.workspace}/${user.id}`);
      if (!own.allowed) {
        throw new ParleyError(ErrorCode.RateLimited, 'creating rooms too fast', {
          retryAfterMs: own.retryAfterMs,
        });
      }
      const workspace = await perWorkspace.take(ref.workspace);
      if (!workspace.allowed) {
        throw new ParleyError(
          ErrorCode.RateLimited,
          'rooms are being created too fast in this workspace',
          { retryAfterMs: workspace.retryAfterMs },
        );
      }
      const outcome = await stores.rooms.create(ref, { ...room, maxRooms: maxPerWorkspace });
      if (outcome === 'full') {
        throw new ParleyError(
          ErrorCode.Forbidden,
          `workspace "${ref.workspace}" holds ${maxPerWorkspace} rooms, the most it may; join one of them`,
          { reason: 'limit' },
        );
      }
      if (outcome === 'created') {
        await stores.members.put(ref, { id: user.id, name: user.name, role: 'owner' });
      }
      return outcome;
    },
  };
}
