import type { Member } from '@parley/protocol';
import { createGenerations, type GenerationLimits } from './generations';

/**
 * Members as Redis stores them (JSON, one string per user), parsed once and shared while they
 * keep coming back (a room's list read again after one of its members changed; a presence
 * page), forgotten in generations (`generations.ts`), so a flood of distinct users costs
 * bounded memory.
 *
 * Each member is frozen: one object reaches many answers, and nothing may change it for all of
 * them.
 */
export interface MemberCache {
  parse(json: string): Member;
  /** Forgets everything and stops the clock (the store is closing). */
  stop(): void;
}

export function createMemberCache(limits: GenerationLimits = {}): MemberCache {
  const parsed = createGenerations<string, Member>(limits);
  return {
    parse(json) {
      let member = parsed.get(json);
      if (member === undefined) {
        member = Object.freeze(JSON.parse(json)) as Member;
        parsed.set(json, member);
      }
      return member;
    },
    stop: parsed.stop,
  };
}
