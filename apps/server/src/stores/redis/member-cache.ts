import type { Member } from '@parley/protocol';

/**
 * Members as Redis stores them (JSON, one string per user), parsed once and shared while they
 * keep coming back. A join answers up to 100 members, so a room of 100 that everyone re-joins
 * (a restart's reconnect storm) parsed 100 members per join: 10 000 joins, a million parses of
 * the same few thousand strings, the biggest of Parley's own costs in the storm's profile.
 *
 * Each member is frozen: one object reaches many answers, and nothing may change it for all of
 * them. The cache forgets in generations: a string not asked for in two of them (`generationMs`
 * each) is dropped, so an idle node holds none, and a generation holds at most `maxEntries` (a
 * full one starts the next early), so a flood of distinct users costs bounded memory.
 */
export interface MemberCache {
  parse(json: string): Member;
  /** Forgets everything and stops the clock (the store is closing). */
  stop(): void;
}

export function createMemberCache({
  maxEntries = 20_000,
  generationMs = 10_000,
}: {
  maxEntries?: number;
  generationMs?: number;
} = {}): MemberCache {
  let current = new Map<string, Member>();
  let previous = new Map<string, Member>();
  const nextGeneration = () => {
    previous = current;
    current = new Map();
  };
  const clock = setInterval(nextGeneration, generationMs);
  clock.unref();

  return {
    parse(json) {
      let member = current.get(json);
      if (member !== undefined) return member;
      member = previous.get(json) ?? (Object.freeze(JSON.parse(json)) as Member);
      if (current.size >= maxEntries) nextGeneration();
      current.set(json, member);
      return member;
    },
    stop() {
      clearInterval(clock);
      current = new Map();
      previous = new Map();
    },
  };
}
