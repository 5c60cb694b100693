import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  HistoryQuery,
  HistoryResponse,
  INTEGRATION_ID_PREFIX,
  LIMITS,
  MintTokenRequest,
  MintTokenResponse,
  OpsOverview,
  PublishEventRequest,
  PublishEventResponse,
  PublishMessageRequest,
  PublishMessageResponse,
  RoomListQuery,
  RoomListResponse,
  RoomMembersResponse,
  RoomResponse,
  ServerEvent,
  SetTopicRequest,
} from '@parley/protocol';
import type { z } from 'zod';
import { ParleyError } from '../errors';
import { listMembers } from '../members/members';
import { storeMessage } from '../messages/store-message';
import { opsOverview } from '../ops/overview';
import { presenceModeOf } from '../presence/mode';
import { UNLIMITED_ROOMS } from '../rooms/room-creation';
import { roomDirectory } from '../rooms/room-directory';
import type { Services } from '../services';
import type { Broadcaster } from '../socket/broadcast';
import type { RoomRef } from '../stores/types';
import { type ApiCaller, callerMayUse } from './keys';

export interface ApiContext {
  caller: ApiCaller;
  params: { workspace?: string; room?: string; userId?: string; seq?: number };
  body: unknown;
  query: unknown;
  services: Services;
  broadcast: Broadcaster;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI style, relative to `/api/v1`: `{workspace}` and `{room}` are checked names. */
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  response: z.ZodType;
  status: number;
  /** The error statuses this route can answer besides 401, 429 and 503 (every route has those). */
  errors: number[];
  /**
   * The route answers while the store is unreachable (the operations overview): then the key's
   * rate limit, which lives in the store, is not applied.
   */
  availableWithoutStore?: boolean;
  handle(context: ApiContext): Promise<{ status?: number; body: unknown }>;
}

/** The caller's key must open the workspace in the path. */
export function roomRef({ params, caller }: ApiContext): RoomRef {
  const workspace = params.workspace ?? '';
  if (!callerMayUse(caller, workspace)) {
    throw new ParleyError(
      'forbidden',
      `API key "${caller.name}" does not allow workspace "${workspace}"`,
    );
  }
  return { workspace, room: params.room ?? '' };
}

export async function existingRoom(context: ApiContext): Promise<RoomRef> {
  const ref = roomRef(context);
  if (!(await context.services.stores.rooms.get(ref))) {
    throw new ParleyError(
      ErrorCode.NotFound,
      `no room "${ref.room}" in workspace "${ref.workspace}"`,
    );
  }
  return ref;
}

/** `integration:<key name>`, or `integration:<key name>:<author id>` (key names have no colon). */
function integrationId(keyName: string, authorId: string | undefined): string {
  return `${INTEGRATION_ID_PREFIX}${keyName}${authorId === undefined ? '' : `:${authorId}`}`;
}

/** The key as an author: who the server API's changes are by. */
export function integrationAuthor(context: ApiContext) {
  return {
    id: integrationId(context.caller.name, undefined),
    name: context.caller.name,
    kind: 'integration' as const,
  };
}

/** The server API: the one list the router serves and the OpenAPI document describes. */
export const apiRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/workspaces/{workspace}/rooms',
    summary: `One page of the workspace's rooms by name, with their topic and online user count: \`limit\` (default ${LIMITS.roomListPageDefault}, at most ${LIMITS.roomListPageMax}), \`prefix\` (names starting with it), \`cursor\` (the previous page's \`nextCursor\`).`,
    query: RoomListQuery,
    response: RoomListResponse,
    status: 200,
    errors: [400, 403],
    async handle(context) {
      const { workspace } = roomRef(context);
      const query = context.query as z.output<typeof RoomListQuery>;
      return {
        body: await roomDirectory(context.services.stores, workspace, query, { everything: true }),
      };
    },
  },
  {
    method: 'POST',
    path: '/workspaces/{workspace}/rooms/{room}/messages',
    summary:
      'Publish a message into a room as an integration: stored with the next `seq`, in history and delivered as `message:new`. Creates the room if needed. Idempotent by `clientMsgId` (answers 200 with the original).',
    body: PublishMessageRequest,
    response: PublishMessageResponse,
    status: 201,
    errors: [400, 403, 413],
    async handle(context) {
      const ref = roomRef(context);
      const { text, author, clientMsgId } = context.body as z.output<typeof PublishMessageRequest>;
      await context.services.stores.rooms.create(ref, { maxRooms: UNLIMITED_ROOMS });
      const { message, created } = await storeMessage(context.services, ref, {
        // The key's name is part of the id, so no key can publish as another key's
        // integration or take over its clientMsgIds.
        author: {
          id: integrationId(context.caller.name, author.id),
          name: author.name,
          kind: 'integration',
        },
        text,
        clientMsgId: clientMsgId ?? randomUUID(),
      });
      return { status: created ? 201 : 200, body: { message } };
    },
  },
  {
    method: 'GET',
    path: '/workspaces/{workspace}/rooms/{room}/messages',
    summary: "A page of a room's history, newest first page by default; `before` pages back.",
    query: HistoryQuery,
    response: HistoryResponse,
    status: 200,
    errors: [400, 403, 404],
    async handle(context) {
      const ref = await existingRoom(context);
      const { before, limit } = context.query as z.output<typeof HistoryQuery>;
      return {
        body: await context.services.stores.history.page(ref, {
          before,
          limit: limit ?? LIMITS.historyPageDefault,
        }),
      };
    },
  },
  {
    method: 'POST',
    path: '/workspaces/{workspace}/rooms/{room}/events',
    summary: `Send a transient event to the room's sockets as \`room:event\`: not stored, for live data (progress, prices, build status). \`data\` up to ${LIMITS.roomEventMaxBytes} bytes.`,
    body: PublishEventRequest,
    response: PublishEventResponse,
    status: 202,
    errors: [400, 403, 413],
    async handle(context) {
      const { workspace, room } = roomRef(context);
      const { type, data } = context.body as z.output<typeof PublishEventRequest>;
      if (Buffer.byteLength(JSON.stringify(data)) > LIMITS.roomEventMaxBytes) {
        throw new ParleyError(
          'payload_too_large',
          `data must be at most ${LIMITS.roomEventMaxBytes} bytes as JSON`,
        );
      }
      context.broadcast.toRoom(workspace, room, ServerEvent.RoomEvent, { room, type, data });
      return { body: { delivered: true } };
    },
  },
  {
    method: 'PUT',
    path: '/workspaces/{workspace}/rooms/{room}/topic',
    summary:
      "Set (or clear) a room's topic; the room's members and the workspace's lobbies get `room:updated`. Creates the room if needed.",
    body: SetTopicRequest,
    response: RoomResponse,
    status: 200,
    errors: [400, 403],
    async handle(context) {
      const ref = roomRef(context);
      const { topic } = context.body as z.output<typeof SetTopicRequest>;
      const { stores } = context.services;
      const record = await stores.rooms.setTopic(ref, topic ? topic : null);
      const memberCount = await stores.presence.count(ref);
      const { visibility, readOnly } = record;
      const update = {
        room: ref.room,
        topic: record.topic,
        memberCount,
        visibility,
        readOnly,
        presence: presenceModeOf(memberCount, context.services.config.presence.membersMax),
      };
      // A private room's topic is for its members: lobbies never hear of it.
      if (visibility === 'private') {
        context.broadcast.toRoom(ref.workspace, ref.room, ServerEvent.RoomUpdated, update);
      } else {
        context.broadcast.toRoomWatchers(ref.workspace, ref.room, ServerEvent.RoomUpdated, update);
      }
      return { body: { room: { ...record, memberCount } } };
    },
  },
  {
    method: 'GET',
    path: '/workspaces/{workspace}/rooms/{room}/members',
    summary:
      "The room's stored members with their roles and whether they are online, then whoever else is in it now.",
    response: RoomMembersResponse,
    status: 200,
    errors: [400, 403, 404],
    async handle(context) {
      const ref = await existingRoom(context);
      return { body: { members: await listMembers(context.services, ref) } };
    },
  },
  {
    method: 'POST',
    path: '/tokens',
    summary:
      "Mint a user token for a backend that does not sign JWTs itself. The key's own workspace limit applies to the token.",
    body: MintTokenRequest,
    response: MintTokenResponse,
    status: 201,
    errors: [400, 403],
    async handle(context) {
      const { sub, name, workspaces, ttlSeconds, rooms, admin } = context.body as z.output<
        typeof MintTokenRequest
      >;
      const { caller } = context;
      if (caller.workspaces !== '*') {
        const outside =
          workspaces === '*' ? ['*'] : workspaces.filter((w) => !callerMayUse(caller, w));
        if (outside.length > 0) {
          throw new ParleyError(
            'forbidden',
            `API key "${caller.name}" cannot mint tokens for ${outside.join(', ')}`,
          );
        }
      }
      const { token, identity } = await context.services.tokens.issue({
        sub,
        name,
        workspaces,
        ttlSeconds,
        rooms,
        admin,
      });
      return { body: { token, user: identity.user, expiresAt: identity.expiresAt.toISOString() } };
    },
  },
  {
    method: 'GET',
    path: '/ops',
    summary:
      "The operations overview: every live node as its last heartbeat reported it (this node's report is made now), the busiest rooms summed over the nodes' reports, whether the store answers and how fast, and the webhook backlog per lane. Read from the stores, never by asking each node's sockets. Answered while the store is down (with what could be read). Only for a key that opens every workspace (`*`).",
    response: OpsOverview,
    status: 200,
    errors: [403],
    availableWithoutStore: true,
    async handle({ caller, services }) {
      if (caller.workspaces !== '*') {
        throw new ParleyError(
          'forbidden',
          `API key "${caller.name}" is limited to some workspaces; the operations overview needs "*"`,
        );
      }
      return { body: await opsOverview(services, services.nodeReport()) };
    },
  },
];
