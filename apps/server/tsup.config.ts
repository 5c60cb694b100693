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
  // Everything compiled into the bundle: the protocol package (it ships TypeScript source), and
  // every dependency, whose hundreds of small files a node would otherwise resolve, read and
  // compile one by one at every start (node-redis alone: ≈ 500; Socket.IO's family and pino
  // ≈ 150 more) — a restart listens ≈ 40 % sooner (docs/benchmarks.md). One copy of
  // socket.io-adapter serves Socket.IO and the Redis adapter alike. The fast path's start-up
  // check reads the versions installed beside the build (socket/engine-internals.ts): the ones
  // compiled in, as the build is made from them. pino is only ever used to write to stdout, so
  // its transports' worker files are never needed. Optional native add-ons (ws's bufferutil,
  // utf-8-validate) stay outside: ws requires them inside a try, and goes without.
  noExternal: [/.*/],
  external: ['bufferutil', 'utf-8-validate'],
});
