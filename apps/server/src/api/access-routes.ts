import {
  CreateRoomRequest,
  DeletedResponse,
  ErrorCode,
  MemberResponse,
  PutMemberRequest,
  RemoveMemberQuery,
  RoomResponse,
} from '@parley/protocol';
import { z } from 'zod';
import { ParleyError } from '../errors';
import { addMember, removeMember } from '../members/members';
import { changeMessage } from '../messages/store-message';
import { UNLIMITED_ROOMS } from '../rooms/room-creation';
import { type ApiContext, type ApiRoute, existingRoom, integrationAuthor, roomRef } from './routes';

/** The server API acts with a key's full authority in its workspaces: as owner of every room. */
const actorOf = (context: ApiContext) => ({
  member: integrationAuthor(context),
  role: 'owner' as const,
});

/** Who may do what, from the team's backend: rooms, members, bans, deletions. */
export const accessRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/workspaces/{workspace}/rooms',
    summary:
      'Create a room, public or private, optionally with an owner (a user of yours). A room of that name answers 409 `conflict`. The server API is not held to the room limits.',
    body: CreateRoomRequest,
    response: RoomResponse,
    status: 201,
    errors: [400, 403, 409],
    async handle(context) {
      const { workspace } = roomRef(context);
      const { room, visibility, topic, readOnly, owner } = context.body as z.output<
        typeof CreateRoomRequest
      >;
      const ref = { workspace, room };
      const { stores } = context.services;
      const outcome = await stores.rooms.create(ref, {
        maxRooms: UNLIMITED_ROOMS,
        visibility,
        readOnly,
        topic: topic ? topic : null,
      });
      if (outcome !== 'created') throw new ParleyError(ErrorCode.Conflict, `room "${room}" exists`);
      if (owner) {
        await stores.members.put(ref, {
          id: owner.id,
          name: owner.name ?? owner.id,
          role: 'owner',
        });
      }
      const record = await stores.rooms.get(ref);
      if (!record) throw new ParleyError(ErrorCode.NotFound, `room "${room}" is gone`);
      return { body: { room: { ...record, memberCount: 0 } } };
    },
  },
  {
    method: 'PUT',
    path: '/workspaces/{workspace}/rooms/{room}/members/{userId}',
    summary:
      'Make a user a member of a room, or change their role; lifts a ban. They may then join a private room.',
    body: PutMemberRequest,
    response: MemberResponse,
    status: 200,
    errors: [400, 403, 404],
    async handle(context) {
      const ref = await existingRoom(context);
      const { name, role } = context.body as z.output<typeof PutMemberRequest>;
      const userId = context.params.userId ?? '';
      const member = await addMember(context.services, ref, actorOf(context), {
        userId,
        name,
        role,
      });
      return { body: { member } };
    },
  },
  {
    method: 'DELETE',
    path: '/workspaces/{workspace}/rooms/{room}/members/{userId}',
    summary:
      'Remove a user from a room: every socket of theirs leaves it at once, on every node, and is told. `banSeconds` also refuses their rejoining until then.',
    query: RemoveMemberQuery,
    response: z.object({}),
    status: 200,
    errors: [400, 403, 404],
    async handle(context) {
      const ref = await existingRoom(context);
      const { banSeconds } = context.query as z.output<typeof RemoveMemberQuery>;
      await removeMember(context.services, ref, actorOf(context), {
        userId: context.params.userId ?? '',
        banSeconds,
      });
      return { body: {} };
    },
  },
  {
    method: 'DELETE',
    path: '/workspaces/{workspace}/rooms/{room}/messages/{seq}',
    summary:
      "Delete the message at `seq` (anyone's): everyone gets `message:deleted`, history keeps a tombstone. Deleting again answers the tombstone.",
    query: z.object({ id: z.string().optional() }),
    response: DeletedResponse,
    status: 200,
    errors: [400, 403, 404],
    async handle(context) {
      const ref = await existingRoom(context);
      const seq = context.params.seq ?? 0;
      const { id } = context.query as { id?: string };
      const { stores } = context.services;
      // The server API names a message by seq; the id, when given, must be the one there.
      const [current] = (await stores.history.page(ref, { before: seq + 1, limit: 1 })).messages;
      const targetId =
        current && current.seq === seq && !('type' in current) ? current.id : undefined;
      if (!targetId || (id !== undefined && id !== targetId)) {
        throw new ParleyError(ErrorCode.NotFound, `no message at seq ${seq}`);
      }
      const { message } = await changeMessage(
        context.services,
        ref,
        { seq, id: targetId },
        { member: integrationAuthor(context), moderates: true },
        'delete',
      );
      return { body: { message } };
    },
  },
];
