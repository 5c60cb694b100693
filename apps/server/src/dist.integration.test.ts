import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connected, nextEvent, openClient } from '../test/helpers';
import { type NodeProcess, spawnNode } from '../test/node-process';
import { createTokenService } from './auth/tokens';
import { DEVELOPMENT_AUTH_SECRET } from './config';

/**
 * The build is what a node runs: every dependency compiled in (tsup.config.ts), so `dist` and
 * the package's `package.json` (for `"type": "module"`) are all it needs. Built here into a
 * directory with no `node_modules` above it, as a slim image would hold it, and run.
 */
const serverDir = fileURLToPath(new URL('..', import.meta.url));
let home: string;
let node: NodeProcess | undefined;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'parley-dist-'));
  // Were there a node_modules above it (TMPDIR inside a checkout), the build could lean on it.
  for (let dir = home; dir !== dirname(dir); dir = dirname(dir)) {
    expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
  }
  await promisify(execFile)(
    process.execPath,
    [
      join(serverDir, 'node_modules/tsup/dist/cli-default.js'),
      ...['--out-dir', join(home, 'dist'), '--no-sourcemap'],
    ],
    { cwd: serverDir },
  );
  copyFileSync(join(serverDir, 'package.json'), join(home, 'package.json'));
}, 60_000);

afterAll(async () => {
  await node?.kill();
  rmSync(home, { recursive: true, force: true });
});

describe('the build, without node_modules', () => {
  it('starts, serves a room, and runs its fast path on the versions compiled in', async () => {
    node = await spawnNode(
      {},
      { args: [join(home, 'dist/main.js')], cwd: home, baseEnv: { PATH: process.env.PATH } },
    );
    const { url } = node;
    const tokens = createTokenService(DEVELOPMENT_AUTH_SECRET);
    const [alice, bob] = await Promise.all(
      ['Alice', 'Bob'].map(async (name) =>
        openClient(url, 'acme', (await tokens.issue({ name, ttlSeconds: 60 })).token),
      ),
    );
    if (!alice || !bob) throw new Error('two clients');
    try {
      await Promise.all([connected(alice), connected(bob)]);
      await call(alice, 'room:join', { room: 'general' });
      await call(bob, 'room:join', { room: 'general' });
      const heard = nextEvent(bob, 'message:new');
      await call(alice, 'message:send', { room: 'general', text: 'built', clientMsgId: 'c1' });
      expect((await heard).text).toBe('built');
      // The fast path wrote the broadcast frame itself: its start-up check found the versions
      // it was written for, compiled in (it reads node_modules only when the source runs).
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/parley_deliveries_total\{path="direct"\} [1-9]/);
      expect(node.output()).not.toContain('fast path is off');
    } finally {
      alice.close();
      bob.close();
    }
  });
});
