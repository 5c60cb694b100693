/**
 * The protocol's bounds. Text and name lengths are part of the contract (clients check them
 * before sending); the server's operational limits (rate, retention, packet size, rooms per
 * socket) start from these defaults and can be tuned in its configuration.
 */
export const LIMITS = {
  /** Message text, in Unicode code points, after trimming. */
  messageTextMaxChars: 4000,
  /** Display name, in Unicode code points, after trimming. */
  displayNameMaxChars: 32,
  /** Client-chosen idempotency key for `message:send`. */
  clientMsgIdMaxLength: 64,
  /** Largest page `message:history` returns, and its default. */
  historyPageMax: 100,
  historyPageDefault: 50,
  /** Most messages `room:join` with `since` returns; past that it answers the latest page. */
  recoveryMaxMessages: 500,
  /** Rooms one connection may have joined at once (all its namespaces together). */
  roomsPerSocketMax: 100,
  /** `room:list` page size: the largest and the default. */
  roomListPageMax: 100,
  roomListPageDefault: 50,
  /** Members a `room:join` answer lists at most (the room's count is exact). */
  joinMembersMax: 100,
  /** `presence:list` page size: the largest and the default. */
  presencePageMax: 100,
  presencePageDefault: 50,
  /** Per user per room: sustained messages per second and the burst allowed on top. */
  messagesPerSecond: 10,
  messageBurst: 20,
  /** Largest packet a client may send, in bytes; a larger one closes the connection. */
  packetMaxBytes: 64 * 1024,
  /** Newest messages kept per room. */
  historyRetention: 10_000,
  /** A transient `room:event`'s `data`, serialized as JSON, in bytes. */
  roomEventMaxBytes: 16 * 1024,
  /** A transient `room:event`'s `data`: levels of nesting. */
  eventDataMaxDepth: 32,
  /** Room topic, in Unicode code points. */
  topicMaxChars: 250,
  /** A typing client repeats `typing: true` this often; receivers drop it after the timeout. */
  typingRefreshMs: 3000,
  typingTimeoutMs: 6000,
} as const;

/** Length as people count it: Unicode code points, so an emoji or a Hangul syllable is one. */
export function textLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
