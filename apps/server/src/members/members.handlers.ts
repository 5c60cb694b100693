import { ClientEvent } from '@parley/protocol';
import { refOf, requireJoined, roleIn } from '../rooms/membership';
import { defineHandler } from '../socket/define-handler';
import type { ChatSession } from '../socket/session';
import { addMember, listMembers, removeMember } from './members';

/** The connection's user and their role in the room. */
async function actorIn(session: ChatSession, room: string) {
  return { member: session.user, role: await roleIn(session, room) };
}

export const memberHandlers = [
  defineHandler(ClientEvent.MemberList, async (session, { room }) => {
    await requireJoined(session, room);
    return { members: await listMembers(session.services, refOf(session, room)) };
  }),

  defineHandler(ClientEvent.MemberAdd, async (session, { room, userId, name, role }) => {
    const member = await addMember(
      session.services,
      refOf(session, room),
      await actorIn(session, room),
      {
        userId,
        name,
        role,
      },
    );
    return { member };
  }),

  defineHandler(ClientEvent.MemberRemove, async (session, { room, userId, banSeconds }) => {
    await removeMember(session.services, refOf(session, room), await actorIn(session, room), {
      userId,
      banSeconds,
    });
    return {};
  }),
];
