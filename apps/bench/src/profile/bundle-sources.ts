import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a frame's code was written: its source file (as a file URL) and 0-based line. */
export interface SourcePosition {
  url: string;
  line: number;
}

/**
 * Finds where code in a bundle came from, through the bundle's source map (`<file>.map` beside
 * it, as tsup writes apps/server/dist): Parley's server is one bundle with its dependencies
 * compiled in, so a frame's file says only "dist/main.js" — engine.io's code and Parley's alike.
 * Frames of files without a map (Node's own, an unbundled server) answer undefined.
 */
export function createSourceResolver(): (
  url: string,
  line: number,
  column: number,
) => SourcePosition | undefined {
  const maps = new Map<string, { map: SourceMap; base: string } | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      let found: { map: SourceMap; base: string } | undefined;
      if (url.startsWith('file://')) {
        const path = `${fileURLToPath(url)}.map`;
        if (existsSync(path)) {
          try {
            found = {
              map: new SourceMap(JSON.parse(readFileSync(path, 'utf8'))),
              base: pathToFileURL(path).href,
            };
          } catch {
            found = undefined; // an unreadable map: the frame stays where it ran
          }
        }
      }
      maps.set(url, found);
    }
    return maps.get(url);
  };
  return (url, line, column) => {
    const found = mapOf(url);
    if (!found) return undefined;
    const entry = found.map.findEntry(line, column) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    return { url: new URL(entry.originalSource, found.base).href, line: entry.originalLine };
  };
}
