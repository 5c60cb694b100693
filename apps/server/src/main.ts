import { ConfigError, loadConfigFromEnvironment } from './config';
import { createLogger } from './logger';
import { createParleyServer } from './server';

let loaded: ReturnType<typeof loadConfigFromEnvironment>;
try {
  loaded = loadConfigFromEnvironment();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const { config, warnings } = loaded;
const log = createLogger(config);
for (const warning of warnings) log.warn(warning);

const server = createParleyServer(config, { logger: log });
await server.listen();

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'signal received');
  const deadline = setTimeout(() => {
    log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting anyway');
    process.exit(1);
  }, config.shutdownTimeoutMs);
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
