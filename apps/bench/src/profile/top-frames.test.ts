import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeProfile } from './top-frames';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A bundle as tsup writes one (apps/server/dist/main.js and its map): line 0 compiled from
 * Parley's source, line 1 from ws; a file beside it with no map; and a profile with 3 and 5 ms
 * of self time on those lines, 7 ms in the file without a map, 11 ms in Node and 13 ms idle.
 */
function bundleAndProfile(options: { map: boolean }) {
  const root = mkdtempSync(join(tmpdir(), 'parley-profile-'));
  dirs.push(root);
  const dist = join(root, 'apps/server/dist');
  mkdirSync(dist, { recursive: true });
  const bundle = join(dist, 'main.js');
  writeFileSync(bundle, 'a();\nb();\n');
  if (options.map) {
    writeFileSync(
      `${bundle}.map`,
      JSON.stringify({
        version: 3,
        sources: [
          '../src/rooms/membership.ts',
          '../../../node_modules/.pnpm/ws@8.21.3/node_modules/ws/lib/sender.js',
        ],
        names: [],
        // Line 0, column 0 → source 0, line 0; line 1, column 0 → source 1, line 2.
        mappings: 'AAAA;ACEA',
      }),
    );
  }
  const url = pathToFileURL(bundle).href;
  const frame = (id: number, functionName: string, frameUrl: string, lineNumber: number) => ({
    id,
    callFrame: { functionName, url: frameUrl, lineNumber, columnNumber: 0 },
  });
  const profile = {
    nodes: [
      frame(1, 'enterRoom', url, 0),
      frame(2, 'send', url, 1),
      frame(3, 'unmapped', pathToFileURL(join(dist, 'worker.js')).href, 2),
      frame(4, 'emit', 'node:events', 470),
      frame(5, '(idle)', '', -1),
    ],
    samples: [1, 2, 3, 4, 5],
    timeDeltas: [3000, 5000, 7000, 11000, 13000],
  };
  const file = join(root, 'run.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

describe('summarizeProfile', () => {
  it("tells a bundle's frames by the source they were compiled from", () => {
    const summary = summarizeProfile(bundleAndProfile({ map: true }));
    expect(summary.busyMs).toBe(26);
    expect(summary.idleMs).toBe(13);
    expect(Object.fromEntries(summary.byPackage.map((row) => [row.package, row.selfMs]))).toEqual({
      node: 11,
      parley: 3 + 7, // Parley's own line, and the file without a map (where it ran)
      ws: 5,
    });
    const where = Object.fromEntries(summary.topFrames.map((f) => [f.function, f.location]));
    expect(where.enterRoom).toBe('apps/server/src/rooms/membership.ts:1');
    expect(where.send).toBe('ws/lib/sender.js:3');
    expect(where.unmapped).toBe('apps/server/dist/worker.js:3');
  });

  it('without a source map, counts the bundle as where it ran', () => {
    const summary = summarizeProfile(bundleAndProfile({ map: false }));
    expect(Object.fromEntries(summary.byPackage.map((row) => [row.package, row.selfMs]))).toEqual({
      node: 11,
      parley: 15,
    });
  });
});
