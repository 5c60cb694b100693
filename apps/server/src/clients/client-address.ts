import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Who a request comes from, for the limits per client address. The peer of the TCP connection,
 * unless that peer is a configured trusted proxy: then the address the proxy put in the
 * configured header (for `X-Forwarded-For`, the rightmost entry that is not itself a trusted
 * proxy: entries to its left were written by the client and prove nothing). A header from
 * anyone else is ignored, so a client cannot pick its own address.
 */
export type ClientAddressOf = (req: IncomingMessage) => string;

export function createClientAddress({
  trustedProxies,
  addressHeader,
}: {
  trustedProxies: string[];
  addressHeader: string;
}): ClientAddressOf {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(bits), type);
  }
  const isTrusted = (address: string) =>
    trustedProxies.length > 0 && trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

  return (req) => {
    const peer = plainAddress(req.socket.remoteAddress ?? '');
    if (!isTrusted(peer)) return peer;
    const header = req.headers[addressHeader];
    const values = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((value) => plainAddress(value.trim()));
    for (let i = values.length - 1; i >= 0; i--) {
      const candidate = values[i] as string;
      if (isIP(candidate) === 0) break;
      if (!isTrusted(candidate)) return candidate;
    }
    return peer;
  };
}

/** An IPv4 address Node reports as IPv6 (`::ffff:10.0.0.1`) is the IPv4 address. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The key an address is limited by: an IPv4 address itself; for IPv6 its /64, which is what one
 * subscriber gets (every address in it is theirs to use, so limiting single IPv6 addresses
 * would limit nothing).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}
