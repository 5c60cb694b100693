import { hostname, networkInterfaces } from 'node:os';
import { devHosts } from '@parley/protocol';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // The protocol and client packages ship TypeScript source.
  transpilePackages: ['@parley/protocol', '@parley/client'],
  reactStrictMode: true,
  poweredByHeader: false,
  // `next dev` answers at every address of this machine (it prints the network one), but serves
  // its scripts only to the hosts listed here besides localhost: without them a page opened at
  // 127.0.0.1 or the network address never hydrates. Read when the dev server starts.
  allowedDevOrigins: devHosts(networkInterfaces(), hostname()),
  // The dev tools' badge, by default bottom left, covered who is signed in (the foot of the
  // rooms' sidebar). Top right is empty on wide screens; globals.css clears it on narrow ones.
  devIndicators: { position: 'top-right' },
};

export default config;
