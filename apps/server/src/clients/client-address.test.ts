import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey, createClientAddress } from './client-address';

const request = (peer: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress: peer }, headers }) as unknown as IncomingMessage;

const ipv4 = fc.ipV4();
const SEED = { seed: 20261201, numRuns: 300 };

describe('the client address', () => {
  it('is the peer, whatever headers a client sends, unless the peer is a trusted proxy', () => {
    const direct = createClientAddress({ trustedProxies: [], addressHeader: 'x-forwarded-for' });
    const behind = createClientAddress({
      trustedProxies: ['10.0.0.0/8'],
      addressHeader: 'x-forwarded-for',
    });
    fc.assert(
      fc.property(ipv4, fc.string({ maxLength: 60 }), (peer, header) => {
        fc.pre(!peer.startsWith('10.'));
        expect(direct(request(peer, { 'x-forwarded-for': header }))).toBe(peer);
        expect(behind(request(peer, { 'x-forwarded-for': header }))).toBe(peer);
        expect(direct(request(`::ffff:${peer}`))).toBe(peer);
      }),
      SEED,
    );
  });

  it('behind trusted proxies, is the rightmost forwarded address that is not one of them', () => {
    const behind = createClientAddress({
      trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
      addressHeader: 'x-forwarded-for',
    });
    fc.assert(
      fc.property(
        fc.array(ipv4, { maxLength: 3 }),
        ipv4,
        fc.array(fc.constantFrom('10.1.2.3', 'fd00::1'), { maxLength: 3 }),
        (spoofed, client, proxies) => {
          fc.pre(!client.startsWith('10.'));
          const header = [...spoofed, client, ...proxies].join(', ');
          expect(behind(request('10.9.9.9', { 'x-forwarded-for': header }))).toBe(client);
        },
      ),
      SEED,
    );
    // Nothing usable in the header: the proxy itself.
    expect(behind(request('10.9.9.9', { 'x-forwarded-for': 'unknown' }))).toBe('10.9.9.9');
    expect(behind(request('10.9.9.9'))).toBe('10.9.9.9');
    const realIp = createClientAddress({
      trustedProxies: ['127.0.0.1'],
      addressHeader: 'x-real-ip',
    });
    expect(realIp(request('127.0.0.1', { 'x-real-ip': '203.0.113.9' }))).toBe('203.0.113.9');
  });

  it('is limited per /64 for IPv6, per address for IPv4', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.array(group, { minLength: 4, maxLength: 4 }),
        (a, tail) => {
          const full = a.join(':');
          const sibling = [...a.slice(0, 4), ...tail].join(':');
          expect(addressKey(full)).toBe(addressKey(sibling));
          expect(addressKey(full)).toMatch(/::\/64$/);
        },
      ),
      SEED,
    );
    expect(addressKey('2001:db8::1')).toBe(addressKey('2001:db8:0:0:ffff::2'));
    expect(addressKey('2001:db8::1')).not.toBe(addressKey('2001:db8:0:1::1'));
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
  });
});
