import { describe, expect, it } from 'vitest';
import { devHosts, type InterfaceAddress } from './dev-hosts';

function address(family: 'IPv4' | 'IPv6', value: string, internal = false): InterfaceAddress {
  return { family, address: value, internal };
}

describe('devHosts', () => {
  it("lists loopback and this machine's addresses and name, as origins' hostnames read", () => {
    const hosts = devHosts(
      {
        lo: [address('IPv4', '127.0.0.1', true), address('IPv6', '::1', true)],
        eth0: [
          address('IPv4', '192.168.1.20'),
          address('IPv6', 'fd00::2'),
          address('IPv6', 'fe80::fc:ff:fe00:1'),
        ],
        wlan0: [address('IPv4', '10.0.0.7')],
      },
      'Dev-Box',
    );
    expect(hosts).toEqual([
      '127.0.0.1',
      '[::1]',
      '192.168.1.20',
      '[fd00::2]',
      '10.0.0.7',
      'dev-box',
    ]);
  });

  it('never allows every host, even without a network', () => {
    expect(devHosts({}, '')).toEqual(['127.0.0.1', '[::1]']);
  });
});
