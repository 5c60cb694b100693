import { z } from 'zod';
import { RoomName, WorkspaceSlug } from './names';
import { Member, Message } from './schemas';

/**
 * What Parley POSTs to webhook endpoints: one JSON envelope per event, tagged by `type`.
 * Receivers parse it with `WebhookEvent` and switch on `type`; `id` is the same on every
 * attempt of one event, so a receiver deduplicates by it (delivery is at least once).
 */
/**
 * The headers of every webhook delivery (and of join hook calls, which are signed the same way):
 * receivers read these names; Node lower-cases incoming header names.
 */
export const WEBHOOK_HEADERS = {
  /** `sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`. */
  signature: 'x-parley-signature',
  /** The event's `type`. */
  event: 'x-parley-event',
  /** The event's `id`: the same on every retry, so a receiver can drop repeats. */
  eventId: 'x-parley-event-id',
} as const;

export const WebhookEventType = {
  RoomOccupied: 'room.occupied',
  RoomVacated: 'room.vacated',
  MemberJoined: 'member.joined',
  MemberLeft: 'member.left',
  MessageCreated: 'message.created',
  MessageUpdated: 'message.updated',
  MessageDeleted: 'message.deleted',
  MemberRemoved: 'member.removed',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

export const WebhookEventId = z
  .string()
  .regex(/^evt_[0-9a-f]{32}$/)
  .meta({ description: 'Unique per event, the same on every delivery attempt.' });

const RoomData = z.object({ room: RoomName });
const MemberData = z.object({ room: RoomName, member: Member });
const MessageData = z.object({ room: RoomName, message: Message });
const MessageChangeData = MessageData.extend({
  by: Member.meta({
    description:
      'Who changed it: its author, or for a deletion possibly a moderator or an integration.',
  }),
});
const RemovalData = z.object({
  room: RoomName,
  member: z.object({ id: z.string() }),
  by: Member.meta({ description: 'Who removed them (an integration for the server API).' }),
  bannedUntil: z.iso.datetime().optional(),
});

function envelope<T extends WebhookEventType, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    id: WebhookEventId,
    type: z.literal(type),
    createdAt: z.iso.datetime().meta({ description: 'When Parley saw it happen (ISO 8601, UTC).' }),
    workspace: WorkspaceSlug,
    data,
  });
}

/** When each event is sent; the protocol reference is generated from it. */
export const WEBHOOK_EVENT_MEANINGS: Record<WebhookEventType, string> = {
  'room.occupied': "The room's online user count went from 0 to 1.",
  'room.vacated': "The room's online user count went to 0.",
  'member.joined': "A user's first connection entered the room.",
  'member.left': "A user's last connection left the room (also when their node died).",
  'message.created': 'A message was stored (sent by a socket or published through the server API).',
  'message.updated':
    'A message was edited by its author: `message` has the new text and `editedAt`.',
  'message.deleted':
    'A message was deleted: `message` is its tombstone (`deleted: true`, no text).',
  'member.removed':
    'A user was removed from a room (and banned, `bannedUntil`, when a ban came with it).',
};

export const WebhookEvent = z.discriminatedUnion('type', [
  envelope(WebhookEventType.RoomOccupied, RoomData),
  envelope(WebhookEventType.RoomVacated, RoomData),
  envelope(WebhookEventType.MemberJoined, MemberData),
  envelope(WebhookEventType.MemberLeft, MemberData),
  envelope(WebhookEventType.MessageCreated, MessageData),
  envelope(WebhookEventType.MessageUpdated, MessageChangeData),
  envelope(WebhookEventType.MessageDeleted, MessageChangeData),
  envelope(WebhookEventType.MemberRemoved, RemovalData),
]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export type WebhookDataOf<T extends WebhookEventType> = Extract<WebhookEvent, { type: T }>['data'];
