import type { NextConfig } from 'next';

const config: NextConfig = {
  // The protocol package ships TypeScript source.
  transpilePackages: ['@parley/protocol'],
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
