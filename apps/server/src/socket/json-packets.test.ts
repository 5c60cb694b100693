import fc from 'fast-check';
import { Encoder, type Packet, PacketType } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { JsonPacketEncoder } from './json-packets';

/** Any JSON value, its strings with lone surrogates too (JSON.stringify escapes them). */
const json = fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' });

const packet: fc.Arbitrary<Packet> = fc.record(
  {
    type: fc.constantFrom(
      PacketType.CONNECT,
      PacketType.DISCONNECT,
      PacketType.EVENT,
      PacketType.ACK,
      PacketType.CONNECT_ERROR,
    ),
    nsp: fc.oneof(
      fc.constantFrom('/', '', '/chat/acme', '/chat/ümlaut-工作'),
      fc.string({ unit: 'binary' }).map((name) => `/chat/${name}`),
    ),
    id: fc.nat(),
    data: fc.oneof(json, fc.array(json), fc.constantFrom(null, undefined)),
  },
  { requiredKeys: ['type', 'nsp'] },
);

describe('JSON-only packet encoder', () => {
  it("writes every packet of JSON exactly as Socket.IO's encoder does (generative)", () => {
    const ours = new JsonPacketEncoder();
    const theirs = new Encoder();
    fc.assert(
      fc.property(packet, (p) => {
        expect(ours.encode(p)).toEqual(theirs.encode(p));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a join answer as one string, as Socket.IO does', () => {
    const members = Array.from({ length: 100 }, (_, i) => ({ id: `u${i}`, name: `User ${i}` }));
    const answer: Packet = {
      type: PacketType.ACK,
      nsp: '/chat/acme',
      id: 7,
      data: [{ ok: true, data: { members, messages: [], recovered: true } }],
    };
    const [encoded] = new JsonPacketEncoder().encode(answer);
    expect(encoded).toBe(new Encoder().encode(answer)[0]);
    expect(encoded?.startsWith('3/chat/acme,7[{"ok":true')).toBe(true);
  });
});
