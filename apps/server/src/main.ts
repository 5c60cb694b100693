import cluster from 'node:cluster';
import { loadConfigOrExit } from './config';
import { createLogger } from './logger';
import { createParleyServer } from './server';
import { gracefulShutdown } from './shutdown';
import { throttledLog } from './throttled-log';
import { runPrimary } from './workers/primary';
import { serveForPrimary } from './workers/worker';

const loaded = loadConfigOrExit();
const { config, warnings } = loaded;
const log = createLogger(config);
// A worker's environment is its primary's: the primary has said all there is to say.
if (!cluster.isWorker) for (const warning of warnings) log.warn(warning);

if (config.workers.count > 0 && cluster.isPrimary) {
  // PARLEY_WORKERS: this process only forks, routes and supervises (workers/primary.ts).
  await runPrimary(config, log);
} else {
  // The process's last resort: a rejection nothing handled (a bug on some path a client can
  // reach) is logged, at most a line per interval with a count, and the node keeps serving its
  // other clients. An uncaught exception still ends the process: its state may be broken.
  const unhandled = throttledLog(log, 'error', 'unhandled promise rejection; still serving');
  process.on('unhandledRejection', (reason) => unhandled({ err: reason }));

  const server = createParleyServer(config, { logger: log });
  const shutdown = gracefulShutdown(server, config, log);
  process.on('SIGTERM', (signal) => void shutdown({ signal }));
  process.on('SIGINT', (signal) => void shutdown({ signal }));
  if (cluster.isWorker) await serveForPrimary(server, (why) => void shutdown(why));
  else await server.listen();
}
