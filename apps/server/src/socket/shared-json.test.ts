import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJson, SharedList, sharedList } from './shared-json';

/** Any JSON value, its strings with lone surrogates and NULs too. */
const json = fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' });

/**
 * The value with some of its arrays (as `share` says, in the order met) made shared lists — the
 * same list twice where an array holds it twice — and the plain value it must encode as.
 */
function withSharedLists(value: unknown, share: boolean[]): unknown {
  let next = 0;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      const items = node.map(walk);
      return share[next++ % share.length] ? sharedList(items) : items;
    }
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item)]));
    }
    return node;
  };
  return walk(value);
}

describe('shared lists in JSON', () => {
  it('encode exactly as the plain value does, wherever they are (generative)', () => {
    fc.assert(
      fc.property(json, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), (value, share) => {
        const shared = withSharedLists(value, share);
        expect(encodeJson(shared)).toBe(JSON.stringify(value));
        // Anywhere else too: a shared list is an array.
        expect(JSON.stringify(shared)).toBe(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('leave strings that look like their placeholder as they are (generative)', () => {
    const lookalike = fc
      .tuple(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 30 }),
        fc.nat(3),
      )
      .map(([text, hex, index]) => `${text}\u0000shared-json:${hex}:${index}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(lookalike, json), { maxLength: 4 }), (items) => {
        const list = sharedList(items);
        const value = { before: items, list, after: [...items].reverse(), again: list };
        expect(encodeJson(value)).toBe(JSON.stringify({ ...value, list: items, again: items }));
      }),
      { numRuns: 500 },
    );
  });

  it('serialize a list once, however many packets carry it', () => {
    let serialized = 0;
    const member = { id: 'u1', toJSON: () => ++serialized && { id: 'u1' } };
    const list = [member, { id: 'u2' }];
    const shared = sharedList(list);
    expect(sharedList(list)).toBe(shared);
    for (let packet = 0; packet < 5; packet++) {
      expect(encodeJson([{ ok: true, members: shared }])).toBe(
        '[{"ok":true,"members":[{"id":"u1"},{"id":"u2"}]}]',
      );
    }
    expect(serialized).toBe(1);
  });

  it('are frozen arrays whose derived arrays are plain', () => {
    const shared = sharedList([1, 2, 3]);
    expect(Array.isArray(shared)).toBe(true);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(() => (shared as number[]).push(4)).toThrow(TypeError);
    const doubled = shared.map((n) => n * 2);
    expect(doubled).toEqual([2, 4, 6]);
    expect(doubled).not.toBeInstanceOf(SharedList);
  });

  it('keep their own JSON when first serialized inside another encoding', () => {
    const inner = sharedList([sharedList(['deep'])]);
    const outer = sharedList([1]);
    // A value whose toJSON encodes another value (nothing in Parley does; nothing may break).
    const nested = { toJSON: () => JSON.parse(encodeJson({ inner })) };
    expect(encodeJson({ outer, nested })).toBe('{"outer":[1],"nested":{"inner":[["deep"]]}}');
    expect(encodeJson({ inner })).toBe('{"inner":[["deep"]]}');
  });

  it('refuse to write a packet whose shared list was asked for and not written', () => {
    const list = sharedList([{ id: 'a' }]);
    // A toJSON that serializes the list itself and drops the result (nothing in Parley does).
    const dropsIt = {
      toJSON: () => {
        JSON.stringify(list);
        return 'n';
      },
    };
    // Outside an encoding the list is an array: nothing to drop.
    expect(JSON.stringify([dropsIt, list])).toBe('["n",[{"id":"a"}]]');
    // Inside one, the packet would lose its splice and show the placeholder: refused instead.
    expect(() => encodeJson([dropsIt, { real: list }])).toThrow(/asked for and not written/);
    // An encoding of its own inside one is its own affair.
    const encodesIt = {
      toJSON: () => {
        encodeJson(list);
        return 'n';
      },
    };
    expect(encodeJson([encodesIt, { real: list }])).toBe('["n",{"real":[{"id":"a"}]}]');
  });

  it('leave nothing behind when the value cannot be encoded', () => {
    const cyclic: Record<string, unknown> = { list: sharedList([1]) };
    cyclic.self = cyclic;
    expect(() => encodeJson(cyclic)).toThrow(TypeError);
    // The next encoding starts clean: its list is its own, in its place.
    expect(encodeJson({ list: sharedList([2]) })).toBe('{"list":[2]}');
  });
});
