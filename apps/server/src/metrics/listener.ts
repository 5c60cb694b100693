import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from '../config';
import { ParleyError } from '../errors';
import { sendError } from '../http/respond';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';
import { METRICS_PATH, metricsRoutes } from './route';

export interface MetricsListener {
  /** Starts listening when METRICS_PORT is set; resolves with its base URL (else undefined). */
  listen(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * `/metrics` on a port of its own (METRICS_PORT): only that path, nothing of the chat or the API,
 * so the port can be opened to the scrape network alone. The same route (and METRICS_KEY) as on
 * the public port.
 */
export function createMetricsListener(
  metrics: Metrics,
  config: MetricsConfig,
  { host, log }: { host: string; log: Logger },
): MetricsListener {
  const [route] = metricsRoutes(metrics, config);
  if (config.port === undefined || !route) {
    return { listen: async () => undefined, close: async () => {} };
  }
  const port = config.port;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    const answer =
      path === METRICS_PATH && req.method === 'GET'
        ? route.handle(req, res, { params: {}, target: { path, query: new URLSearchParams() } })
        : Promise.reject(new ParleyError('not_found', `only ${METRICS_PATH} is served here`));
    answer.catch((error: unknown) => {
      if (error instanceof ParleyError) return sendError(res, error);
      log.error({ err: error }, 'metrics scrape failed');
      sendError(res, new ParleyError('internal', 'unexpected server error; it was logged'));
    });
  });
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        // Exclusive: in a cluster worker (PARLEY_WORKERS) the port is this worker's own, not one
        // node:cluster would share among the workers and hand scrapes round-robin.
        server.listen({ port, host, exclusive: true }, () => {
          server.off('error', reject);
          const { address, port: bound } = server.address() as AddressInfo;
          const shown = address.includes(':') ? `[${address}]` : address;
          log.info({ port: bound }, 'metrics listening');
          resolve(`http://${shown}:${bound}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
