import { execFileSync } from 'node:child_process';

/** One established TCP connection of a local port, as the kernel counts it. */
export interface SentSegments {
  /** The other end's port. */
  peerPort: number;
  /** Segments carrying data this end sent (`ss -i`: data_segs_out). */
  dataSegmentsOut: number;
}

/**
 * The connections established on `localPort` (a server's), with the data segments each sent:
 * the kernel's own per-socket counter. Unlike a process's write count, which its other writes
 * (a log line, V8 waking the event loop through an eventfd when a background compile ends)
 * also move, it counts only that socket's sends: what its client was woken for.
 */
export function segmentsSent(localPort: number): SentSegments[] {
  const listing = execFileSync(
    'ss',
    ['-t', '-i', '-n', '-H', 'state', 'established', `( sport = :${localPort} )`],
    { encoding: 'utf8' },
  );
  // One connection per pair of lines: addresses, then the counters (those at 0 are left out).
  const lines = listing.split('\n').filter((line) => line.trim() !== '');
  const connections: SentSegments[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const peer = lines[i]?.trim().split(/\s+/).at(-1) ?? '';
    connections.push({
      peerPort: Number(peer.slice(peer.lastIndexOf(':') + 1)),
      dataSegmentsOut: Number(/\bdata_segs_out:(\d+)/.exec(lines[i + 1] ?? '')?.[1] ?? 0),
    });
  }
  return connections;
}
