import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createSourceResolver } from './bundle-sources';

/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function
 * and per package, busy time only (idle excluded). Run on its own:
 *   node --import tsx src/profile/top-frames.ts <file.cpuprofile> [top]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  function: string;
  location: string;
  package: string;
  selfMs: number;
  /** Share of busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  byPackage: { package: string; selfMs: number; percent: number }[];
  topFrames: FrameTime[];
}

/** Who a frame's code belongs to: an npm package, Node itself, Parley, or V8's own work. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1] as string;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain) return plain[1] as string;
  if (url.includes('/apps/server/')) return 'parley';
  if (url.includes('/packages/protocol/')) return '@parley/protocol';
  return url.replace(/^file:\/\//, '');
}

function shortLocation(url: string, line: number): string {
  const path = url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
  const trimmed = path.replace(/^.*\/apps\//, 'apps/');
  return trimmed ? `${trimmed}:${line + 1}` : '';
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const frames = new Map<string, FrameTime>();
  const packages = new Map<string, number>();
  let idleMicros = 0;
  // A bundle's frames are told by where their code was written (its source map), so engine.io
  // compiled into Parley's dist counts as engine.io, not as Parley.
  const sourceOf = createSourceResolver();
  for (const [id, micros] of selfMicros) {
    const callFrame = (byId.get(id) as ProfileNode).callFrame;
    const { functionName } = callFrame;
    if (functionName === '(idle)') {
      idleMicros += micros;
      continue;
    }
    const source = sourceOf(callFrame.url, callFrame.lineNumber, callFrame.columnNumber ?? 0);
    const url = source?.url ?? callFrame.url;
    const lineNumber = source?.line ?? callFrame.lineNumber;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const name = functionName || '(anonymous)';
    const key = `${name}@${url}:${lineNumber}`;
    const frame = frames.get(key) ?? {
      function: name,
      location: shortLocation(url, lineNumber),
      package: pkg,
      selfMs: 0,
      percent: 0,
    };
    frame.selfMs += micros / 1000;
    frames.set(key, frame);
  }
  const busyMs = [...packages.values()].reduce((sum, micros) => sum + micros, 0) / 1000;
  const share = (msValue: number) => Math.round((1000 * msValue) / busyMs) / 10;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    file,
    busyMs: round(busyMs),
    idleMs: round(idleMicros / 1000),
    byPackage: [...packages]
      .map(([name, micros]) => ({
        package: name,
        selfMs: round(micros / 1000),
        percent: share(micros / 1000),
      }))
      .sort((a, b) => b.selfMs - a.selfMs),
    topFrames: [...frames.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((frame) => ({ ...frame, selfMs: round(frame.selfMs), percent: share(frame.selfMs) })),
  };
}

export function renderProfile(summary: ProfileSummary): string {
  const lines = [
    `busy ${summary.busyMs} ms, idle ${summary.idleMs} ms (${summary.file})`,
    '',
    '| package | self ms | % of busy |',
    '| --- | --- | --- |',
    ...summary.byPackage
      .slice(0, 12)
      .map((row) => `| ${row.package} | ${row.selfMs} | ${row.percent} |`),
    '',
    '| function | where | self ms | % of busy |',
    '| --- | --- | --- | --- |',
    ...summary.topFrames.map(
      (frame) =>
        `| \`${frame.function}\` | ${frame.location} | ${frame.selfMs} | ${frame.percent} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: top-frames.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  process.stdout.write(renderProfile(summarizeProfile(file, Number(top ?? 25))));
}
