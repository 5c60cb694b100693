import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PARLEY_MAIN, REPO_ROOT } from '../paths';

/** Newest modification time of any source file under `dir` (tests are not in the bundle), in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(PARLEY_MAIN).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * The benchmark runs Parley as it ships, from apps/server/dist. A missing or stale bundle (a
 * clean clone, or sources edited since the last build) is rebuilt first, so a run never
 * measures yesterday's code.
 */
export function ensureParleyBuilt(log: (line: string) => void): void {
  const sources = Math.max(
    newestMtime(join(REPO_ROOT, 'apps/server/src')),
    newestMtime(join(REPO_ROOT, 'packages/protocol/src')),
  );
  if (builtAt() >= sources) return;
  log('building @parley/server (dist is missing or older than its sources)');
  const build = spawnSync('pnpm', ['--filter', '@parley/server', 'run', 'build'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error('could not build @parley/server; see the output above');
}
