/** Keeps the event loop busy, as a burst of handshakes would: nothing else of the node runs. */
export function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // nothing: the loop is blocked
  }
}
