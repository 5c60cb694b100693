import { defineConfig } from 'tsup';
import { versionsInNodeModules } from './src/socket/installed-versions';

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
  // check compares the versions of Socket.IO's family compiled in, read here as the bundler
  // resolves them (socket/engine-internals.ts): `dist` runs with no `node_modules` beside it
  // (dist.integration.test.ts). pino is only ever used to write to stdout, so
  // its transports' worker files are never needed. Optional native add-ons (ws's bufferutil,
  // utf-8-validate) stay outside: ws requires them inside a try, and goes without.
  noExternal: [/.*/],
  // A string literal (JSON): an object here would become a module that every bundled module inits.
  define: { PARLEY_BUNDLED_VERSIONS: JSON.stringify(JSON.stringify(versionsInNodeModules())) },
  external: ['bufferutil', 'utf-8-validate'],
});
