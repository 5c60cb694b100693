import { z } from 'zod';
import { LIMITS, textLength } from './limits';
import { MEMBERS_HASH_PATTERN } from './members-hash';
import { RoomName } from './names';
import { resultSchema } from './result';
import { Role, Visibility } from './roles';
import {
  hasVisibleCharacter,
  isWellFormed,
  jsonProblem,
  NAME_FORBIDDEN,
  STRAY_CONTROL,
} from './text';

/**
 * Free text as anyone may send it: trimmed, well-formed Unicode (no lone surrogates), 1 to `max`
 * code points, and at least one visible character (not only zero-width spaces, fillers or marks).
 */
function boundedText(max: number, what: string) {
  return z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .refine(isWellFormed, `${what} must be well-formed Unicode (no lone surrogates)`)
    .refine((text) => textLength(text) <= max, `${what} must be at most ${max} characters`)
    .refine(hasVisibleCharacter, `${what} must contain a visible character`);
}

export const DisplayName = boundedText(LIMITS.displayNameMaxChars, 'name')
  .refine(
    (name) => !NAME_FORBIDDEN.test(name),
    'name must not contain control, bidi or invisible spacing characters',
  )
  .meta({
    description: `Display name: 1-${LIMITS.displayNameMaxChars} characters after trimming, with a visible one; no control, bidi or invisible spacing characters.`,
  });

export const MessageText = boundedText(LIMITS.messageTextMaxChars, 'text')
  .refine((text) => !STRAY_CONTROL.test(text), 'text must not contain control characters')
  .meta({
    description: `1-${LIMITS.messageTextMaxChars} characters (Unicode code points) after trimming, with a visible one; stored trimmed.`,
  });

/** Ids Parley gives out itself: nobody else's token may claim one. */
export const GUEST_ID_PREFIX = 'guest_';
export const INTEGRATION_ID_PREFIX = 'integration:';

/** A user's id, as a token's `sub` carries it. */
export const UserId = z
  .string()
  .min(1)
  .max(128)
  .refine(isWellFormed, 'must be well-formed Unicode')
  .refine((id) => !/\p{Cc}/u.test(id), 'must not contain control characters')
  .meta({ description: 'A user id: 1-128 characters, no control characters.' });

export const ClientMsgId = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9_-]{1,${LIMITS.clientMsgIdMaxLength}}$`),
    `clientMsgId must be 1-${LIMITS.clientMsgIdMaxLength} of A-Z, a-z, 0-9, "_" and "-"`,
  )
  .meta({
    description:
      'Chosen by the client (a UUID is ideal); resending the same one returns the original message.',
  });

export const Seq = z
  .int()
  .min(1)
  .meta({ description: 'Position of a message in its room: 1, 2, 3, … with no gaps.' });

export const Topic = z
  .string()
  .trim()
  .refine(isWellFormed, 'topic must be well-formed Unicode (no lone surrogates)')
  .refine(
    (t) => textLength(t) <= LIMITS.topicMaxChars,
    `topic must be at most ${LIMITS.topicMaxChars} characters`,
  )
  .refine((t) => !/\p{Cc}/u.test(t), 'topic must be one line without control characters')
  .refine((t) => t === '' || hasVisibleCharacter(t), 'topic must contain a visible character');

/** A JSON value a backend publishes: well-formed strings, finite numbers, bounded nesting. */
export const EventData = z
  .custom<z.core.util.JSONType>()
  .superRefine((value, context) => {
    const problem = jsonProblem(value, LIMITS.eventDataMaxDepth);
    if (problem) context.addIssue({ code: 'custom', message: `data: ${problem}` });
  })
  .meta({
    description: `Any JSON value: well-formed strings, at most ${LIMITS.eventDataMaxDepth} levels deep.`,
  });

// ---- Entities ----

export const Member = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    kind: z.literal('integration').optional().meta({
      description:
        'Present when the author is a backend integration publishing through the server API, not a person.',
    }),
  })
  .meta({ id: 'Member', description: 'A user (or integration) as others see them.' });
export type Member = z.infer<typeof Member>;

/** A message's id, as the server gives it. */
export const MessageId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a message id')
  .meta({ description: 'The id the server gave the message.' });

export const Message = z
  .object({
    id: z.string(),
    room: RoomName,
    seq: Seq,
    author: Member,
    text: z.string().meta({ description: 'The latest text; "" once deleted.' }),
    sentAt: z.iso.datetime().meta({ description: 'When the server stored it (ISO 8601, UTC).' }),
    clientMsgId: ClientMsgId.optional(),
    editedAt: z.iso.datetime().optional().meta({ description: 'When its author last edited it.' }),
    deleted: z.literal(true).optional().meta({
      description: 'A tombstone: the message was deleted; it keeps its `seq`, without text.',
    }),
  })
  .meta({ id: 'Message', description: 'A stored chat message.' });
export type Message = z.infer<typeof Message>;

/**
 * An edit or a deletion, as an entry of the room's log with a `seq` of its own: a client that
 * was away finds it among what came after its `since`, and applies `message` (the changed
 * message as it is now) to its copy.
 */
export const MessageChange = z
  .object({
    type: z.literal('change'),
    id: z
      .string()
      .meta({ description: "The entry's own id (what `sinceId` names when at its `seq`)." }),
    room: RoomName,
    seq: Seq,
    action: z.enum(['edit', 'delete']),
    message: Message.meta({ description: 'The changed message, as it is after the change.' }),
    by: Member.meta({ description: 'Who changed it.' }),
    at: z.iso.datetime(),
  })
  .meta({ id: 'MessageChange', description: 'An edit or deletion of an earlier message.' });
export type MessageChange = z.infer<typeof MessageChange>;

/** What a room's history holds at each `seq`: a message, or a change of an earlier one. */
export const HistoryEntry = z.union([Message, MessageChange]).meta({
  id: 'HistoryEntry',
  description: 'A message, or (`type: "change"`) an edit or deletion.',
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** Whether a history entry is a change of an earlier message rather than a message. */
export function isChange(entry: HistoryEntry): entry is MessageChange {
  return (entry as { type?: string }).type === 'change';
}

export const RoomSummary = z
  .object({
    name: RoomName,
    topic: z.string().nullable(),
    memberCount: z.int().nonnegative().meta({ description: 'Users online in the room.' }),
    visibility: Visibility,
    readOnly: z.boolean().meta({ description: 'Only moderators and owners may post.' }),
  })
  .meta({ id: 'RoomSummary', description: 'A room as listed.' });
export type RoomSummary = z.infer<typeof RoomSummary>;

/**
 * How a room tells its sockets who is in it. Up to the server's threshold of users online
 * (`PRESENCE_MEMBERS_MAX`, at most `LIMITS.joinMembersMax`) every arrival and departure is
 * sent; above it, only the count (`room:updated`), and `presence:list` pages through who is there.
 */
export const PresenceMode = z.enum(['members', 'count']).meta({
  id: 'PresenceMode',
  description:
    '`members`: arrivals and departures are sent (`presence:joined`, `presence:left`, `presence:changed`) and the join answer lists everyone present. `count`: the room is too big for that; only `memberCount` is kept live (`room:updated`), and `presence:list` pages through who is present.',
});
export type PresenceMode = z.infer<typeof PresenceMode>;

export const RoomInfo = RoomSummary.extend({
  presence: PresenceMode,
  lastSeq: z.int().nonnegative().meta({ description: '`seq` of the newest entry; 0 if none.' }),
  role: Role.nullable().meta({ description: "The caller's role in the room; null for none." }),
}).meta({ id: 'RoomInfo', description: 'A room as seen on joining it.' });
export type RoomInfo = z.infer<typeof RoomInfo>;

// ---- Client → server payloads ----

export const RoomJoinPayload = z.object({
  room: RoomName,
  since: z
    .int()
    .nonnegative()
    .optional()
    .meta({ description: 'The last `seq` the client has; the answer then holds what came after.' }),
  sinceId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'sinceId must be a message id')
    .optional()
    .meta({
      description:
        "The `id` of the client's message at `since`. When the server's message there differs (its history was reset, as when an in-memory server restarts), the answer is the latest page, not a recovery.",
    }),
  membersHash: z
    .string()
    .regex(MEMBERS_HASH_PATTERN, 'membersHash must be what membersHash() gives')
    .optional()
    .meta({
      description:
        "The fingerprint of the member list the client holds for the room, when it holds the whole list (`presence: members`): the members sorted by `id` (UTF-16 code-unit order), each as the JSON array `[id, name, kind or null]`, the list as a JSON array without spaces (a lone surrogate written as its `\\uXXXX` escape), SHA-256 of its UTF-8 bytes, the first 16 bytes in lowercase hex (`membersHash()` in @parley/protocol). When the room's list has the same fingerprint, the answer leaves it out: `members` is empty and `membersUnchanged` is true.",
    }),
});
/**
 * What a client passes as Socket.IO's `auth` when it connects. `join` asks to join rooms as part
 * of the connection: what a reconnecting client does first anyway, without a round trip more.
 */
export const HandshakeAuth = z.object({
  token: z
    .string()
    .meta({ description: 'A Parley token (a guest token, or one your backend signed).' }),
  join: z
    .array(RoomJoinPayload)
    .max(LIMITS.roomsPerSocketMax)
    .refine((joins) => new Set(joins.map((join) => join.room)).size === joins.length, {
      message: 'each room at most once',
    })
    .optional()
    .meta({
      description: `Rooms to join once connected, each as \`room:join\`'s payload (with \`since\` to catch up), each room at most once, at most ${LIMITS.roomsPerSocketMax}. Each is answered, as \`room:join\` would answer it, in a \`rooms:joined\` event once it is joined (in the order they finish); they take the connection's event allowance as events do. A list that does not match this schema refuses the connection with \`invalid_payload\`.`,
    }),
});
export const RoomLeavePayload = z.object({ room: RoomName });
export const RoomListPayload = z.object({
  cursor: RoomName.optional().meta({
    description: "The previous answer's `nextCursor`: rooms whose names come after it.",
  }),
  prefix: z
    .string()
    .regex(/^[a-z0-9_-]{0,64}$/, 'prefix must be the start of a room name')
    .optional()
    .meta({ description: 'Only rooms whose names start with it (a search as you type).' }),
  limit: z
    .int()
    .min(1)
    .max(LIMITS.roomListPageMax)
    .optional()
    .meta({
      description: `Page size, 1-${LIMITS.roomListPageMax}; default ${LIMITS.roomListPageDefault}.`,
    }),
});
export const MessageSendPayload = z.object({
  room: RoomName,
  text: MessageText,
  clientMsgId: ClientMsgId,
});
export const MessageHistoryPayload = z.object({
  room: RoomName,
  before: Seq.optional().meta({
    description: 'Only messages with a smaller `seq`; default: newest.',
  }),
  limit: z
    .int()
    .min(1)
    .max(LIMITS.historyPageMax)
    .optional()
    .meta({
      description: `Page size, 1-${LIMITS.historyPageMax}; default ${LIMITS.historyPageDefault}.`,
    }),
});
export const TypingSetPayload = z.object({ room: RoomName, typing: z.boolean() });
export const PresenceListPayload = z.object({
  room: RoomName,
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,1024}$/, 'cursor must be a nextCursor the server gave')
    .optional()
    .meta({ description: "The previous answer's `nextCursor`." }),
  limit: z
    .int()
    .min(1)
    .max(LIMITS.presencePageMax)
    .optional()
    .meta({
      description: `Most users to answer, 1-${LIMITS.presencePageMax}; default ${LIMITS.presencePageDefault}.`,
    }),
});
/** A message to change: where it is (`seq`) and which it is (`id`, checked against what is there). */
const MessageRef = {
  room: RoomName,
  seq: Seq.meta({ description: "The message's `seq`." }),
  id: MessageId,
};
export const MessageEditPayload = z.object({ ...MessageRef, text: MessageText });
export const MessageDeletePayload = z.object(MessageRef);

// ---- Acknowledgement data ----

export const RoomJoinAck = z.object({
  room: RoomInfo,
  messages: z.array(HistoryEntry).meta({
    description: 'Oldest first: messages, and (with `since`) the changes made meanwhile.',
  }),
  members: z.array(Member).meta({
    description: `Users present in the room, the joiner included: all of them when \`room.presence\` is \`members\` (never more than ${LIMITS.joinMembersMax}: the server's PRESENCE_MEMBERS_MAX is at most that), else ${LIMITS.joinMembersMax} of them (\`room.memberCount\` counts everyone; \`presence:list\` pages through them). Empty when \`membersUnchanged\`.`,
  }),
  membersUnchanged: z.literal(true).optional().meta({
    description:
      "Only when the join's `membersHash` matched the room's list: `members` is left empty and the list the client holds is current. Absent otherwise (and always for a join without `membersHash`).",
  }),
  hasMore: z.boolean().meta({ description: 'Older messages exist before `messages[0]`.' }),
  recovered: z.boolean().meta({
    description:
      'True when `since` was given and `messages` are exactly those after it. False means `messages` is the latest page: replace what you had.',
  }),
});
/** Answers to a handshake's `join`: each room's once it is joined. */
export const RoomsJoined = z.object({
  answers: z.array(z.object({ room: RoomName, result: resultSchema(RoomJoinAck) })).meta({
    description:
      "Rooms the handshake's `join` asked for, each answered once: `result` is what `room:join` would have answered (a failure refuses that room only).",
  }),
});
export const RoomLeaveAck = z.object({});
export const RoomListAck = z.object({
  rooms: z.array(RoomSummary).meta({ description: 'By name.' }),
  nextCursor: RoomName.nullable().meta({
    description: 'Pass as `cursor` for the next page; null when this page is the last.',
  }),
});
export const MessageSendAck = z.object({ message: Message });
export const MessageHistoryAck = z.object({
  messages: z.array(HistoryEntry).meta({
    description: 'Oldest first; messages as they are now (edited, or tombstones), and changes.',
  }),
  hasMore: z.boolean().meta({ description: 'Older messages exist before `messages[0]`.' }),
});
export const TypingSetAck = z.object({});
export const PresenceListAck = z.object({
  members: z.array(Member).meta({
    description:
      'Users present, at most `limit` (a page before the last may hold fewer). Someone who came or went while you paged may appear twice or not at all: key them by `id`.',
  }),
  nextCursor: z.string().nullable().meta({
    description: 'Pass as `cursor` for the next page; null when this page is the last.',
  }),
  memberCount: z.int().nonnegative().meta({ description: 'Users online in the room now.' }),
});
const ChangeSeq = Seq.optional().meta({
  description:
    'The `seq` of the change entry this made; absent when nothing changed (a repeat). The sender gets no `message:updated`/`message:deleted` of its own: this fills that `seq`.',
});
export const MessageEditAck = z.object({ message: Message, changeSeq: ChangeSeq });
export const MessageDeleteAck = z.object({ message: Message, changeSeq: ChangeSeq });

// ---- Server → client payloads ----

export const PresenceChange = z.object({ room: RoomName, member: Member });
export const PresenceChanged = z.object({
  room: RoomName,
  joined: z.array(Member).meta({ description: 'Users who arrived (and are still there).' }),
  left: z.array(Member).meta({ description: 'Users who left (and have not come back).' }),
});
export const TypingChanged = z.object({ room: RoomName, user: Member, typing: z.boolean() });
export const RoomUpdated = z.object({
  room: RoomName,
  topic: z.string().nullable(),
  memberCount: z.int().nonnegative(),
  visibility: Visibility,
  readOnly: z.boolean(),
  presence: PresenceMode,
});
/** A message as it is after an edit, with the `seq` of the change entry that made it so. */
export const MessageUpdated = Message.extend({
  changeSeq: Seq.meta({
    description: 'The `seq` of the change entry (the message keeps its own).',
  }),
});
export const MessageDeleted = z.object({
  room: RoomName,
  id: z.string(),
  seq: Seq.meta({ description: "The deleted message's `seq`: a tombstone stays there." }),
  changeSeq: Seq.meta({ description: 'The `seq` of the change entry.' }),
});
/** A transient event's type: what the app listening for it switches on. */
export const EventType = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
    'type must be 1-64 of letters, digits, ".", "_", ":" and "-", starting with a letter or digit',
  )
  .meta({ description: 'What the event is, e.g. `build.progress` or `price`.' });

export const RoomEvent = z.object({
  room: RoomName,
  type: EventType,
  data: EventData.meta({ description: 'The JSON value the publisher sent.' }),
});

/** Why the server closes a connection: clients switch on it. */
export const CloseReason = {
  /** The token's `exp` passed: get a new token, then reconnect. */
  TokenExpired: 'token_expired',
  /** The connection kept sending after being answered `rate_limited`. */
  Flooding: 'flooding',
  /** It read too slowly: more than the server buffers per connection was waiting for it. */
  SlowReader: 'slow_reader',
} as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

export const ConnectionClosing = z.object({
  reason: z.enum(Object.values(CloseReason) as [CloseReason, ...CloseReason[]]),
  message: z.string().meta({ description: 'For people; `reason` is for code.' }),
});

export const ServerShutdown = z.object({
  message: z.string().meta({ description: 'Why; the client reconnects by itself, to any node.' }),
});
