import { ErrorCode } from '@parley/protocol';
import type { ParleyConfig } from '../config';
import { ParleyError } from '../socket/errors';
import type { RoomRef, Stores } from '../stores/types';

/** No limit on rooms: for the server API, whose keys are trusted and limited by rate. */
export const UNLIMITED_ROOMS = Number.MAX_SAFE_INTEGER;

export interface RoomCreation {
  /**
   * Makes sure the room exists, creating it for `userId` if not: within the user's and the
   * workspace's creation budgets (`rate_limited`) and the workspace's room limit (`forbidden`).
   */
  open(ref: RoomRef, userId: string): Promise<void>;
}

/**
 * Where a client's `room:join` of a new room is allowed to create it. Budgets are buckets shared
 * by every node, like the stores; an existing room costs one read and nothing else.
 */
export function createRoomCreation(stores: Stores, config: ParleyConfig['rooms']): RoomCreation {
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
    async open(ref, userId) {
      if (await stores.rooms.get(ref)) return;
      // The user's bucket first: one user out of budget must not spend the workspace's.
      const user = await perUser.take(`${ref.workspace}/${userId}`);
      if (!user.allowed) {
        throw new ParleyError(ErrorCode.RateLimited, 'creating rooms too fast', user.retryAfterMs);
      }
      const workspace = await perWorkspace.take(ref.workspace);
      if (!workspace.allowed) {
        throw new ParleyError(
          ErrorCode.RateLimited,
          'rooms are being created too fast in this workspace',
          workspace.retryAfterMs,
        );
      }
      const outcome = await stores.rooms.create(ref, { maxRooms: maxPerWorkspace });
      if (outcome === 'full') {
        throw new ParleyError(
          ErrorCode.Forbidden,
          `workspace "${ref.workspace}" holds ${maxPerWorkspace} rooms, the most it may; join one of them`,
        );
      }
    },
  };
}
