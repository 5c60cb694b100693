import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '@parley/protocol';
import type { MetricsConfig } from '../config';
import { ParleyError } from '../errors';
import type { HttpRoute } from '../http/router';
import type { Metrics } from './metrics';

/** Where Prometheus scrapes; not part of the protocol (clients never call it). */
export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` for the one HTTP router: the registry in Prometheus' text format, behind
 * `Authorization: Bearer <METRICS_KEY>` when a key is set. None when `METRICS=false` (404).
 */
export function metricsRoutes(metrics: Metrics, config: MetricsConfig): HttpRoute[] {
  if (!config.enabled) return [];
  const authorized = config.key === undefined ? () => true : bearerCheck(config.key);
  return [
    {
      method: 'GET',
      path: METRICS_PATH,
      async handle(req, res) {
        if (!authorized(req)) {
          res.setHeader('www-authenticate', 'Bearer realm="metrics"');
          throw new ParleyError(
            ErrorCode.Unauthorized,
            'metrics need Authorization: Bearer <METRICS_KEY>',
          );
        }
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      },
    },
  ];
}

/**
 * Compares digests, so the comparison takes the same time whatever the key's length and
 * wherever a guess first differs.
 */
function bearerCheck(key: string): (req: IncomingMessage) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = digest(key);
  return (req) => {
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return timingSafeEqual(digest(given), expected);
  };
}
