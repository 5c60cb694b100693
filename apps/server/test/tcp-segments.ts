import { execFileSync } from 'node:child_process';

/** One established TCP connection of a local port, as the kernel counts it. */
export interface SentSegments {
  /** The other end's port. */
  peerPort: number;
  /**
   * Segments carrying data this end sent (`ss -i`: data_segs_out), its retransmissions left out
   * (`retrans`: a loaded machine's resends are not what the sender wrote).
   */
  dataSegmentsOut: number;
}

/**
 * The connections established on `localPort` (a server's), with the data segments each sent:
 * the kernel's own per-socket counter. Unlike a process's write count, which its other writes
 * (a log line, V8 waking the event loop through an eventfd when a background compile ends)
 * also move, it counts only that socket's sends: what its client was woken for.
 */
export function segmentsSent(localPort: number): SentSegments[] {
  // One line per connection (-O): its addresses, then its counters (those at 0 left out).
  const listing = execFileSync(
    'ss',
    ['-t', '-i', '-n', '-H', '-O', 'state', 'established', `( sport = :${localPort} )`],
    { encoding: 'utf8' },
  );
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // Recv-Q, Send-Q, the local address, the peer's, then the counters.
      const peer = line.trim().split(/\s+/)[3] ?? '';
      const counter = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? 0);
      return {
        peerPort: Number(peer.slice(peer.lastIndexOf(':') + 1)),
        dataSegmentsOut: counter(/\bdata_segs_out:(\d+)/) - counter(/\bretrans:\d+\/(\d+)/),
      };
    });
}
