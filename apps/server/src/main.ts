import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import { createParleyServer } from './server';
import { throttledLog } from './throttled-log';

const loaded = loadConfigOrExit();
const { config, warnings } = loaded;
const log = createLogger(config);
for (const warning of warnings) log.warn(warning);

// The process's last resort: a rejection nothing handled (a bug on some path a client can reach)
// is logged, at most a line per interval with a count, and the node keeps serving its other
// clients. An uncaught exception still ends the process: its state may be broken.
const unhandled = throttledLog(log, 'error', 'unhandled promise rejection; still serving');
process.on('unhandledRejection', (reason) => unhandled({ err: reason }));

const server = createParleyServer(config, { logger: log });
await server.listen();

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'signal received');
  // The drain and the presence grace come first; the timeout is for what follows them.
  const timeoutMs = config.shutdownDrainMs + config.presence.graceMs + config.shutdownTimeoutMs;
  const deadline = setTimeout(() => {
    log.error({ timeoutMs }, 'shutdown timed out; exiting anyway');
    process.exit(1);
  }, timeoutMs);
  try {
    await server.close();
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
  clearTimeout(deadline);
  process.exit(0);
}

process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
