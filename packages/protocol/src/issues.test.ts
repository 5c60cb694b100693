import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, issuePaths } from './issues';

const Shape = z.object({ room: z.string().min(1), nested: z.object({ n: z.int() }) });

describe('schema issues, as people read them', () => {
  it('names the field, or the value as a whole', () => {
    const fields = Shape.safeParse({ room: '', nested: { n: 1.5 } });
    expect(fields.success).toBe(false);
    if (fields.success) return;
    expect(describeIssues(fields.error, 'payload')).toEqual([
      expect.stringMatching(/^room: /),
      expect.stringMatching(/^nested\.n: /),
    ]);
    expect(issuePaths(fields.error, 'claims')).toEqual(['room', 'nested.n']);
    const whole = Shape.safeParse('text');
    if (whole.success) throw new Error('a string is no object');
    expect(describeIssues(whole.error, 'body')).toEqual(['body must be an object']);
    expect(issuePaths(whole.error, 'claims')).toEqual(['claims']);
  });

  it('describes every failure of any value in one line per issue, never throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = Shape.safeParse(value);
        if (parsed.success) return;
        const lines = describeIssues(parsed.error, 'payload');
        expect(lines).toHaveLength(parsed.error.issues.length);
        for (const line of lines) expect(line).toMatch(/^(payload must be an object|[\w.]+: .+)$/);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
