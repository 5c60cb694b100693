import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientEvent,
  clientEvents,
  DisplayName,
  EventData,
  hasVisibleCharacter,
  isWellFormed,
  LIMITS,
  MessageText,
  Topic,
} from './index';

const accepts = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

const SEED = { seed: 20261201 };
/** Any UTF-16: lone surrogates included. */
const anyUnits = fc.string({ unit: 'binary', maxLength: 60 });
const LONE = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00');
/** Characters nobody sees, alone or together. */
const INVISIBLE = [
  ' ',
  '\u00a0',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u3164',
  '\u115f',
  '\u1160',
  '\uffa0',
  '\u2800',
  '\u202e',
  '\u2066',
  '\u200e',
  '\u0085',
  '\u009b',
  '\u0301',
  '\ufe0f',
  '\u3000',
  '\u{e0041}',
];
const invisibleOnly = fc
  .array(fc.constantFrom(...INVISIBLE), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(''));

describe('well-formed Unicode', () => {
  it('is exactly what survives a UTF-8 round trip', () => {
    fc.assert(
      fc.property(anyUnits, (text) => {
        const roundTrip = Buffer.from(text, 'utf8').toString('utf8');
        expect(isWellFormed(text)).toBe(roundTrip === text);
      }),
      { ...SEED, numRuns: 500 },
    );
  });

  it('is required by every free-text schema: a lone surrogate anywhere is refused', () => {
    const schemas = { MessageText, DisplayName, Topic };
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        LONE,
        fc.string({ maxLength: 10 }),
        (before, lone, after) => {
          const text = `a${before}${lone}${after}`;
          for (const schema of Object.values(schemas)) expect(accepts(schema, text)).toBe(false);
        },
      ),
      { ...SEED, numRuns: 300 },
    );
  });

  it('is required everywhere in event data: values and keys, at any depth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), LONE, fc.boolean(), (value, lone, asKey) => {
        expect(accepts(EventData, value)).toBe(true);
        const poisoned = asKey ? { [`k${lone}`]: value } : [value, { deep: [lone] }];
        expect(accepts(EventData, poisoned)).toBe(false);
      }),
      { ...SEED, numRuns: 300 },
    );
  });
});

describe('visible text', () => {
  it('text, names and topics made only of invisible characters are refused', () => {
    fc.assert(
      fc.property(invisibleOnly, (text) => {
        expect(hasVisibleCharacter(text)).toBe(false);
        expect(accepts(MessageText, text)).toBe(false);
        expect(accepts(DisplayName, text)).toBe(false);
        // A topic of spaces trims to "" and clears the topic: that one is allowed.
        expect(accepts(Topic, text)).toBe(text.trim() === '');
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('one visible character among them is enough for text; names refuse the invisible spaces', () => {
    fc.assert(
      fc.property(
        invisibleOnly,
        fc.constantFrom('a', 'é', '한', '😀', 'ש', '1', '👩‍💻'),
        (padding, visible) => {
          expect(accepts(MessageText, `${padding}${visible}`)).toBe(
            !/[\u0085\u009b]/.test(padding),
          );
        },
      ),
      { ...SEED, numRuns: 300 },
    );
    expect(accepts(DisplayName, 'An\u200ba')).toBe(false);
    expect(accepts(DisplayName, 'Ana\u2066')).toBe(false);
    expect(accepts(DisplayName, '👩‍💻 Ana')).toBe(true); // the joiner of an emoji sequence stays
    expect(accepts(DisplayName, 'Ana\u0085')).toBe(false); // C1 control
    expect(accepts(MessageText, 'csi\u009b31m')).toBe(false);
  });
});

describe('event data', () => {
  it('refuses nesting deeper than the limit without exhausting the stack', () => {
    const deep = (depth: number) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    expect(accepts(EventData, deep(LIMITS.eventDataMaxDepth))).toBe(true);
    expect(accepts(EventData, deep(LIMITS.eventDataMaxDepth + 1))).toBe(false);
    expect(accepts(EventData, deep(200_000))).toBe(false); // would overflow a recursive check
    expect(accepts(EventData, { n: Number.NaN })).toBe(false);
    expect(accepts(EventData, { d: new Date() })).toBe(false);
  });
});

describe('every client event payload', () => {
  it('never throws on any value, huge or deep: it parses or answers issues', () => {
    const huge = fc.oneof(
      fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true }),
      fc.jsonValue({ maxDepth: 6 }),
      fc.string({ unit: 'binary', minLength: 4000, maxLength: 5000 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(ClientEvent)),
        fc.dictionary(
          fc.constantFrom(
            'room',
            'text',
            'since',
            'sinceId',
            'cursor',
            'prefix',
            'limit',
            'typing',
            'clientMsgId',
            'before',
          ),
          huge,
        ),
        (event, payload) => {
          const parsed = clientEvents[event].payload.safeParse(payload);
          if (parsed.success) {
            for (const value of Object.values(parsed.data)) {
              if (typeof value === 'string') expect(isWellFormed(value)).toBe(true);
            }
          }
        },
      ),
      { ...SEED, numRuns: 400 },
    );
  });
});
