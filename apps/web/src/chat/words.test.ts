import { type ErrorBody, Refusal } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  connectionLine,
  describeError,
  postingRule,
  refusalLine,
  removalLine,
  roleChangeLine,
  typingLine,
} from './words';

describe('typingLine', () => {
  it('names up to three people and counts the rest', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['Ana'])).toBe('Ana is typing…');
    expect(typingLine(['Ana', 'Bo'])).toBe('Ana and Bo are typing…');
    expect(typingLine(['Ana', 'Bo', 'Cy'])).toBe('Ana, Bo and Cy are typing…');
    expect(typingLine(['Ana', 'Bo', 'Cy', 'Di', 'Ed'])).toBe('Ana, Bo and 3 others are typing…');
  });
});

describe('describeError', () => {
  it('turns rate limits into a wait people can act on', () => {
    expect(describeError({ code: 'rate_limited', message: 'x', retryAfterMs: 1200 })).toBe(
      "You're sending too fast. Try again in 2 seconds.",
    );
    expect(describeError({ code: 'rate_limited', message: 'x', retryAfterMs: 100 })).toMatch(
      /1 second\./,
    );
  });

  it('never shows a bare code', () => {
    for (const code of [
      'forbidden',
      'unavailable',
      'internal',
      'not_found',
      'unauthorized',
      'conflict',
    ] as const) {
      expect(describeError({ code, message: 'detail' })).not.toMatch(/^[a-z_]+$/);
    }
  });
});

describe('refusalLine', () => {
  const sentence = 'this room is private: ask one of its moderators to add you';
  const refused = (reason?: ErrorBody['reason'], until?: string): ErrorBody => ({
    code: 'forbidden',
    message: sentence,
    ...(reason && { reason }),
    ...(until && { until }),
  });

  it('words each reason itself, naming the room, never echoing the server', () => {
    expect(refusalLine(refused('private_room'), 'secret')).toBe(
      '#secret is private. Ask one of its moderators to add you.',
    );
    expect(refusalLine(refused('read_only'), 'news')).toBe(
      '#news is read-only: only its moderators and owners can post here.',
    );
    expect(refusalLine(refused('role'), 'secret')).toBe("Your role in #secret doesn't allow that.");
    expect(refusalLine(refused('not_author'), 'secret')).toBe(
      'Only its author can edit a message.',
    );
    expect(refusalLine(refused('token_rooms'), 'secret')).toBe(
      "Your sign-in doesn't give you access to #secret.",
    );
    expect(refusalLine(refused('admins_only'))).toMatch(/^Only workspace admins can create rooms/);
    expect(refusalLine(refused('limit'))).toMatch(/^A limit on rooms was reached\./);
    for (const reason of Object.values(Refusal)) {
      const line = refusalLine(refused(reason), 'secret');
      expect(line).not.toContain(sentence);
      expect(line).not.toMatch(/Not allowed/);
    }
  });

  it('says until when a ban lasts, in local time', () => {
    const until = '2030-01-02T03:04:00.000Z';
    const format = (date: Date) => `[${date.toISOString()}]`;
    expect(refusalLine(refused('banned', until), 'news', format)).toBe(
      `You are banned from #news until [${until}].`,
    );
    expect(refusalLine(refused('banned'), 'news')).toBe('You are banned from #news.');
    expect(refusalLine(refused('banned', until))).toMatch(/^You are banned from this room until /);
  });

  it('speaks of "this room" when it does not know which', () => {
    expect(refusalLine(refused('private_room'))).toBe(
      'This room is private. Ask one of its moderators to add you.',
    );
  });

  it("falls back to the server's sentence when it gives no reason", () => {
    expect(refusalLine(refused(), 'secret')).toBe(
      'Not allowed: this room is private: ask one of its moderators to add you.',
    );
  });

  it('is what describeError says of a refusal', () => {
    expect(describeError(refused('private_room'), 'secret')).toBe(
      refusalLine(refused('private_room'), 'secret'),
    );
  });
});

describe('roleChangeLine', () => {
  it('says you were added when you had no role', () => {
    expect(roleChangeLine('secret', null, 'member')).toBe('You were added to #secret.');
    expect(roleChangeLine('secret', null, 'moderator')).toBe(
      'You were added to #secret as a moderator.',
    );
    expect(roleChangeLine('secret', null, 'owner')).toBe('You were added to #secret as an owner.');
  });

  it('says what you are now when promoted, and what you no longer are when demoted', () => {
    expect(roleChangeLine('secret', 'member', 'moderator')).toBe(
      'You are now a moderator of #secret.',
    );
    expect(roleChangeLine('secret', 'owner', 'member')).toBe(
      'You are now a member of #secret, no longer an owner.',
    );
  });

  it('says what you are now when the tab did not know, and nothing when nothing changed', () => {
    expect(roleChangeLine('secret', undefined, 'member')).toBe('You are now a member of #secret.');
    expect(roleChangeLine('secret', 'moderator', 'moderator')).toBeNull();
  });
});

describe('removalLine', () => {
  it('says who removed you from which room, and until when a ban lasts', () => {
    expect(removalLine('secret', 'removed')).toBe('You were removed from #secret.');
    const until = '2030-01-02T03:04:00.000Z';
    expect(removalLine('secret', 'banned', until, (d) => d.toISOString())).toBe(
      `You were banned from #secret until ${until}.`,
    );
    expect(removalLine('secret', 'banned')).toBe('You were banned from #secret.');
  });
});

describe('postingRule', () => {
  it('says who may post in a read-only room, and whether you may', () => {
    expect(postingRule('news', false)).toMatch(/only its moderators and owners can post/);
    expect(postingRule('news', true)).toMatch(/You can\.$/);
  });
});

describe('connectionLine', () => {
  const refused = (refused: 'unauthorized' | 'forbidden' | null, error: ErrorBody | null = null) =>
    connectionLine({ refused, error });

  it('says why a refused connection stays off, and what to do', () => {
    expect(refused('unauthorized')).toBe('Your session has expired. Pick your name again.');
    expect(refused('forbidden')).toBe("You don't have access to this workspace.");
    expect(refused(null, { code: 'not_found', message: 'unknown namespace' })).toBe(
      'This workspace does not exist.',
    );
  });

  it('says nothing of its own while the connection comes back by itself', () => {
    expect(refused(null)).toBeUndefined();
    expect(refused(null, { code: 'unavailable', message: 'xhr poll error' })).toBeUndefined();
  });
});
