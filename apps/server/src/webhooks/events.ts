import { Member, Message, RoomName, WorkspaceSlug } from '@parley/protocol';
import { z } from 'zod';

/**
 * What Parley POSTs to webhook endpoints: one JSON envelope per event, tagged by `type`.
 * Receivers parse it with `WebhookEvent` and switch on `type`; `id` is the same on every
 * attempt of one event, so a receiver deduplicates by it (delivery is at least once).
 */
export const WebhookEventType = {
  RoomOccupied: 'room.occupied',
  RoomVacated: 'room.vacated',
  MemberJoined: 'member.joined',
  MemberLeft: 'member.left',
  MessageCreated: 'message.created',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

export const WebhookEventId = z
  .string()
  .regex(/^evt_[0-9a-f]{32}$/)
  .meta({ description: 'Unique per event, the same on every delivery attempt.' });

const RoomData = z.object({ room: RoomName });
const MemberData = z.object({ room: RoomName, member: Member });
const MessageData = z.object({ room: RoomName, message: Message });

function envelope<T extends WebhookEventType, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    id: WebhookEventId,
    type: z.literal(type),
    createdAt: z.iso.datetime().meta({ description: 'When Parley saw it happen (ISO 8601, UTC).' }),
    workspace: WorkspaceSlug,
    data,
  });
}

export const WebhookEvent = z.discriminatedUnion('type', [
  // The room's online user count went from 0 to 1.
  envelope(WebhookEventType.RoomOccupied, RoomData),
  // The room's online user count went to 0.
  envelope(WebhookEventType.RoomVacated, RoomData),
  // A user's first connection entered the room.
  envelope(WebhookEventType.MemberJoined, MemberData),
  // A user's last connection left the room (also when their node died).
  envelope(WebhookEventType.MemberLeft, MemberData),
  // A message was stored (sent by a socket or published through the server API).
  envelope(WebhookEventType.MessageCreated, MessageData),
]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export type WebhookDataOf<T extends WebhookEventType> = Extract<WebhookEvent, { type: T }>['data'];
