import { describe, expect, it } from 'vitest';
import { describeError, postingRule, removalLine, typingLine } from './words';

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
