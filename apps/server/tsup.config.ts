import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/repair.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  // Bundled CommonJS dependencies call require(): give the ES module one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // Compiled into the bundle: the protocol package (it ships TypeScript source), and the
  // dependencies whose hundreds of small files a node otherwise resolves, reads and compiles one
  // by one at every start (node-redis alone: ≈ 500) — a restart listens ≈ 20 % sooner. Left
  // outside: Socket.IO's family, whose installed versions the fast path's start-up check reads
  // (socket/engine-internals.ts) and whose adapter class the Redis adapter must share, and pino,
  // whose transports load files in worker threads.
  noExternal: ['@parley/protocol', '@redis/client', 'zod', 'jose', 'prom-client'],
});
