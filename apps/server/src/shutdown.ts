import type { ParleyConfig } from './config';
import type { Logger } from './logger';
import type { ParleyServer } from './server';

/**
 * The process's graceful exit, whoever asks for it (a signal, or a cluster worker's primary):
 * the server's drain and presence grace, then its close within SHUTDOWN_TIMEOUT_MS, then exit 0;
 * exit 1 if the close fails or overruns. Asking twice is asking once.
 */
export function gracefulShutdown(
  server: ParleyServer,
  config: ParleyConfig,
  log: Logger,
): (why: Record<string, unknown>) => Promise<void> {
  let stopping = false;
  return async (why) => {
    if (stopping) return;
    stopping = true;
    log.info(why, 'shutdown requested');
    // The drain and the presence grace come first; the timeout is for what follows them.
    const timeoutMs = config.shutdownDrainMs + config.presence.graceMs + config.shutdownTimeoutMs;
    const deadline = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out; exiting anyway');
      process.exit(1);
    }, timeoutMs);
    try {
      await server.close({ exiting: true });
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    clearTimeout(deadline);
    process.exit(0);
  };
}
