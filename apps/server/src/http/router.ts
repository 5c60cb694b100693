import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpPath } from '@parley/protocol';
import { ParleyError } from '../errors';
import type { Services } from '../services';
import { StoreUnavailableError } from '../stores/errors';
import { parseRequestTarget, type RequestTarget } from './request-target';
import { RequestAborted, sendError, sendJson } from './respond';
import { guestSessionRoute } from './session';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpDeps {
  services: Services;
  /** False once shutdown started, or while a backing store is unreachable. */
  ready(): Promise<boolean>;
  /** The server API: answers false for a path it does not serve. */
  api(req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<boolean>;
}

/** Every HTTP endpoint except Socket.IO's own, which the engine serves before this is called. */
export function createHttpHandler({ services, ready, api }: HttpDeps) {
  const routes: Record<string, Partial<Record<string, Route>>> = {
    [HttpPath.Health]: { GET: async (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    [HttpPath.Ready]: {
      GET: async (_req, res) =>
        (await ready())
          ? sendJson(res, 200, { status: 'ready' })
          : sendJson(res, 503, { status: 'unavailable' }),
    },
    [HttpPath.Session]: { POST: guestSessionRoute(services) },
  };
  const allowedOrigins = new Set(services.config.http.corsOrigins);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = parseRequestTarget(req.url);
    try {
      if (!target) throw new ParleyError('invalid_payload', 'bad request target', {}, 400);
      const { path } = target;
      const methods = routes[path];
      if (path.startsWith('/api/')) applyCors(req, res, allowedOrigins);
      if (!methods && (await api(req, res, target))) return;
      if (!methods) throw new ParleyError('not_found', `no route ${path}`);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { allow: Object.keys(methods).join(', ') }).end();
        return;
      }
      const route = methods[req.method ?? 'GET'];
      if (!route) {
        res.setHeader('allow', Object.keys(methods).join(', '));
        throw new ParleyError(
          'invalid_payload',
          `${req.method} is not allowed on ${path}`,
          {},
          405,
        );
      }
      await route(req, res);
    } catch (error) {
      // Errors meant for the caller, from the HTTP layer or from code shared with sockets.
      if (error instanceof ParleyError) return sendError(res, error);
      // The client went away mid-body: nobody is left to answer, and nothing went wrong here.
      if (error instanceof RequestAborted) {
        res.destroy();
        return;
      }
      if (error instanceof StoreUnavailableError) {
        return sendError(
          res,
          new ParleyError('unavailable', 'storage did not answer; the outcome is unknown: retry'),
        );
      }
      services.log.error({ err: error, path: target?.path }, 'http handler failed');
      sendError(res, new ParleyError('internal', 'unexpected server error; it was logged'));
    }
  };
}

/** CORS for the HTTP API, with the same allowed origins as Socket.IO. */
function applyCors(req: IncomingMessage, res: ServerResponse, allowed: Set<string>): void {
  const origin = req.headers.origin;
  if (!origin || !allowed.has(origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
  res.setHeader('access-control-allow-headers', 'content-type, authorization');
  res.setHeader('access-control-max-age', '600');
}
