import { LIMITS, type Member } from '@parley/protocol';

/**
 * Typing, both ways, as pure decisions. Out: say `typing: true` at most every
 * `LIMITS.typingRefreshMs` while someone types, and "stopped" once. In: someone else's typing
 * lasts `LIMITS.typingTimeoutMs` unless repeated — a typist whose tab died never says "stopped".
 */

/** When this client last said "typing" in a room; undefined when it has not (or said stop). */
export type TypingSent = number | undefined;

export interface TypingDecision {
  /** What to send now: `true`, `false`, or nothing. */
  send: boolean | null;
  /** What to remember for the next decision. */
  sentAt: TypingSent;
}

/** Whether to send `typing:set` now that the person is (or stopped) typing. */
export function typingDecision(sentAt: TypingSent, typing: boolean, now: number): TypingDecision {
  if (typing) {
    if (sentAt !== undefined && now - sentAt < LIMITS.typingRefreshMs)
      return { send: null, sentAt };
    return { send: true, sentAt: now };
  }
  if (sentAt === undefined) return { send: null, sentAt };
  return { send: false, sentAt: undefined };
}

/** Someone else typing in a room, until `until` (ms since the epoch). */
export interface TypingEntry {
  user: Member;
  until: number;
}

/** Someone started (repeated) or stopped typing. */
export function typingChanged(
  entries: readonly TypingEntry[],
  user: Member,
  typing: boolean,
  now: number,
): readonly TypingEntry[] {
  const others = entries.filter((entry) => entry.user.id !== user.id);
  if (!typing) return others.length === entries.length ? entries : others;
  return [...others, { user, until: now + LIMITS.typingTimeoutMs }];
}

/** Drops who stopped without saying so; the same array when nobody did. */
export function typingExpired(
  entries: readonly TypingEntry[],
  now: number,
): readonly TypingEntry[] {
  const live = entries.filter((entry) => entry.until > now);
  return live.length === entries.length ? entries : live;
}

/** Drops these users (they sent a message, or left); the same array when none was typing. */
export function typingStopped(
  entries: readonly TypingEntry[],
  userIds: ReadonlySet<string>,
): readonly TypingEntry[] {
  if (entries.length === 0 || userIds.size === 0) return entries;
  const rest = entries.filter((entry) => !userIds.has(entry.user.id));
  return rest.length === entries.length ? entries : rest;
}

/** When the next of these entries runs out, or undefined when there are none. */
export function nextExpiry(entries: Iterable<readonly TypingEntry[]>): number | undefined {
  let next: number | undefined;
  for (const list of entries) {
    for (const entry of list) if (next === undefined || entry.until < next) next = entry.until;
  }
  return next;
}
