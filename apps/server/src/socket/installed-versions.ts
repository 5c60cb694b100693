import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The versions of Socket.IO's family that the fast path reads the private parts of (see
 * engine-internals.ts), as their packages in `node_modules` say. The build (tsup.config.ts)
 * reads them here and compiles them into `dist`, which runs without `node_modules`; the source
 * (tests, `pnpm dev`) reads them at start-up. Node's own modules only: the build config imports
 * this file before anything is built.
 */
export interface InstalledVersions {
  'socket.io': string;
  'socket.io-adapter': string;
  'engine.io': string;
  ws: string;
}

/** Each package found from the one that requires it, as Node (and the bundler) resolve them. */
export function versionsInNodeModules(from: string = import.meta.url): InstalledVersions {
  const socketIo = packageOf(createRequire(from), 'socket.io');
  const adapter = packageOf(createRequire(socketIo.path), 'socket.io-adapter');
  const engineIo = packageOf(createRequire(socketIo.path), 'engine.io');
  const ws = packageOf(createRequire(engineIo.path), 'ws');
  return {
    'socket.io': socketIo.version,
    'socket.io-adapter': adapter.version,
    'engine.io': engineIo.version,
    ws: ws.version,
  };
}

function packageOf(require: NodeRequire, name: string): { path: string; version: string } {
  let directory = dirname(require.resolve(name));
  for (;;) {
    const path = join(directory, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version: string };
      if (manifest.name === name) return { path, version: manifest.version };
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json for ${name}`);
    directory = parent;
  }
}
