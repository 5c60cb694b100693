/**
 * Runs `work` every `intervalMs`, one run at a time (a run still going when the next is due
 * makes that one skip), each handed to `track` so shutdown waits for it and its failure to
 * `onError` (it is tried again at the next interval). Answers a function that stops it.
 */
export function every(
  intervalMs: number,
  work: () => Promise<unknown>,
  { track, onError }: { track(work: Promise<unknown>): void; onError(error: unknown): void },
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    track(
      work()
        .catch(onError)
        .finally(() => {
          running = false;
        }),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
