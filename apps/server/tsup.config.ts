import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/repair.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  // The protocol package ships TypeScript source: compile it into the bundle.
  noExternal: ['@parley/protocol'],
});
