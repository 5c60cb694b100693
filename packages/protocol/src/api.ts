import { z } from 'zod';
import { MAX_BAN_SECONDS, RoomMember, RoomPattern } from './access';
import { LIMITS } from './limits';
import { RoomName, WorkspaceSlug } from './names';
import { Role, Visibility } from './roles';
import {
  ClientMsgId,
  DisplayName,
  EventData,
  EventType,
  GUEST_ID_PREFIX,
  HistoryEntry,
  INTEGRATION_ID_PREFIX,
  Member,
  Message,
  MessageText,
  RoomListAck,
  RoomListPayload,
  RoomSummary,
  Topic,
  UserId,
} from './schemas';

/**
 * The server API: what a team's backend (Django, Rails, a cron job) calls over HTTP with
 * `Authorization: Bearer <api key>`. Paths are relative to the server's base URL.
 */
export const API_PREFIX = '/api/v1';

export const PublishMessageRequest = z.object({
  text: MessageText,
  author: z
    .object({
      id: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
        .optional()
        .meta({
          description:
            'Names the integration under the API key: the author id is `integration:<key name>:<id>` (without it, `integration:<key name>`).',
        }),
      name: DisplayName,
    })
    .meta({ description: 'Who the message shows as; it is marked as an integration.' }),
  clientMsgId: ClientMsgId.optional().meta({
    description: 'Idempotency key: publishing the same one again returns the original message.',
  }),
});
export type PublishMessageRequest = z.input<typeof PublishMessageRequest>;

export const PublishMessageResponse = z.object({ message: Message });

export const PublishEventRequest = z.object({
  type: EventType,
  data: EventData.meta({
    description: `Any JSON value, at most ${LIMITS.roomEventMaxBytes} bytes once serialized and ${LIMITS.eventDataMaxDepth} levels deep; strings well-formed Unicode.`,
  }),
});
export type PublishEventRequest = z.input<typeof PublishEventRequest>;

export const PublishEventResponse = z.object({
  delivered: z.literal(true).meta({ description: "Handed to every node for the room's sockets." }),
});

export const SetTopicRequest = z.object({
  topic: Topic.nullable().meta({
    description: `The new topic, up to ${LIMITS.topicMaxChars} characters; null or "" clears it.`,
  }),
});
export type SetTopicRequest = z.input<typeof SetTopicRequest>;

export const RoomResponse = z.object({ room: RoomSummary });
export const RoomListQuery = z.object({
  cursor: RoomListPayload.shape.cursor,
  prefix: RoomListPayload.shape.prefix,
  limit: z.coerce.number().int().min(1).max(LIMITS.roomListPageMax).optional(),
});
export const RoomListResponse = RoomListAck;
export const MembersResponse = z.object({ members: z.array(Member) });

export const HistoryQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.historyPageMax).optional(),
});

export const HistoryResponse = z.object({
  messages: z.array(HistoryEntry).meta({
    description: 'Oldest first: messages as they are now (edited, or tombstones), and changes.',
  }),
  hasMore: z.boolean(),
});

export const CreateRoomRequest = z.object({
  room: RoomName,
  visibility: Visibility.default('public'),
  topic: Topic.optional(),
  readOnly: z.boolean().default(false),
  owner: z
    .object({ id: UserId, name: DisplayName.optional() })
    .optional()
    .meta({ description: 'A user to make its owner (stored as a member with that role).' }),
});
export type CreateRoomRequest = z.input<typeof CreateRoomRequest>;

export const PutMemberRequest = z.object({
  name: DisplayName.optional(),
  role: Role.default('member'),
});
export type PutMemberRequest = z.input<typeof PutMemberRequest>;
export const MemberResponse = z.object({ member: RoomMember });
export const RoomMembersResponse = z.object({ members: z.array(RoomMember) });

export const RemoveMemberQuery = z.object({
  banSeconds: z.coerce.number().int().min(1).max(MAX_BAN_SECONDS).optional(),
});
export const DeletedResponse = z.object({ message: Message });

/** Longest lifetime of a token minted through the API: 30 days. */
export const MAX_MINTED_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export const MintTokenRequest = z.object({
  sub: UserId.refine(
    (id) => !id.startsWith(GUEST_ID_PREFIX) && !id.startsWith(INTEGRATION_ID_PREFIX),
    `sub must not start with "${GUEST_ID_PREFIX}" or "${INTEGRATION_ID_PREFIX}": those ids are Parley's own`,
  ).meta({ description: "The user's id in your system (not a guest's or an integration's)." }),
  name: DisplayName,
  workspaces: z
    .union([z.literal('*'), z.array(WorkspaceSlug).min(1)])
    .default('*')
    .meta({ description: 'Workspaces the token opens: a list, or "*" for all.' }),
  ttlSeconds: z.int().min(60).max(MAX_MINTED_TOKEN_TTL_SECONDS).default(3600),
  rooms: z.array(RoomPattern).min(1).max(100).optional().meta({
    description: 'Confine the token to these rooms (names, or prefixes ending in `*`).',
  }),
  admin: z.boolean().optional().meta({
    description: "Make the user an admin of the token's workspaces: owner in every room.",
  }),
});
export type MintTokenRequest = z.input<typeof MintTokenRequest>;

export const MintTokenResponse = z.object({
  token: z.string(),
  user: Member,
  expiresAt: z.iso.datetime(),
});
