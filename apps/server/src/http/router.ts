import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX, HttpPath } from '@parley/protocol';
import { ParleyError } from '../errors';
import { metricsRoutes } from '../metrics';
import type { Services } from '../services';
import { StoreUnavailableError } from '../stores/errors';
import { applyCors, type CorsPolicy } from './cors';
import { parseRequestTarget, type RequestTarget } from './request-target';
import { RequestAborted, sendError, sendJson } from './respond';
import { guestSessionRoute } from './session';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One endpoint: a method and a path whose `{name}` segments are handed over as `params`. */
export interface HttpRoute {
  method: HttpMethod;
  path: string;
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    request: { params: Record<string, string>; target: RequestTarget },
  ): Promise<void>;
}

export interface HttpDeps {
  services: Services;
  /** False once shutdown started, or while a backing store is unreachable. */
  ready(): Promise<boolean>;
  /** The server API's routes (api/http-routes.ts), their paths under `/api/v1` already. */
  apiRoutes: HttpRoute[];
}

interface CompiledRoute {
  route: HttpRoute;
  /** Exact paths are matched by lookup; paths with parameters by their pattern. */
  pattern?: RegExp;
}

/**
 * Every HTTP endpoint except Socket.IO's own (which the engine serves before this is called), in
 * one table: probes, the guest session, Prometheus' `/metrics` and the server API. One place
 * decides 404, 405 (with `Allow`), OPTIONS, CORS for `/api/` and how an error is answered, and
 * counts every answer by route pattern (never the raw path: label values stay a fixed set).
 */
export function createHttpHandler({ services, ready, apiRoutes }: HttpDeps) {
  const routes: HttpRoute[] = [
    {
      method: 'GET',
      path: HttpPath.Health,
      handle: async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: HttpPath.Ready,
      handle: async (_req, res) =>
        (await ready())
          ? sendJson(res, 200, { status: 'ready' })
          : sendJson(res, 503, { status: 'unavailable' }),
    },
    { method: 'POST', path: HttpPath.Session, handle: guestSessionRoute(services) },
    // On the public port unless a port of their own is set (server.ts serves them there).
    ...(services.config.metrics.port === undefined
      ? metricsRoutes(services.metrics, services.config.metrics)
      : []),
    ...apiRoutes,
  ];
  const exact = new Map<string, CompiledRoute[]>();
  const patterned: CompiledRoute[] = [];
  for (const route of routes) {
    if (!route.path.includes('{')) {
      exact.set(route.path, [...(exact.get(route.path) ?? []), { route }]);
      continue;
    }
    const source = route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
    patterned.push({ route, pattern: new RegExp(`^${source}$`) });
  }
  // CORS for the HTTP API, with the same allowed origins as Socket.IO's (engine-cors.ts).
  const cors: CorsPolicy = {
    origins: new Set(services.config.http.corsOrigins),
    methods: 'GET, POST, PUT, DELETE, OPTIONS',
    headers: 'content-type, authorization',
  };

  const matching = (path: string) =>
    exact.get(path)?.map(({ route }) => ({ route, params: {} })) ??
    patterned.flatMap(({ route, pattern }) => {
      const found = pattern?.exec(path);
      return found ? [{ route, params: found.groups ?? {} }] : [];
    });

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = parseRequestTarget(req.url);
    // What the request is counted under: its route's pattern once one matched.
    const counted = { route: 'unmatched', method: 'other' };
    try {
      if (!target) throw new ParleyError('invalid_payload', 'bad request target', {}, 400);
      const { path } = target;
      if (path.startsWith(`${API_PREFIX}/`)) applyCors(req, res, cors);
      const found = matching(path);
      if (found.length === 0) throw new ParleyError('not_found', `no route ${path}`);
      counted.route = found[0]?.route.path ?? 'unmatched';
      const allowed = found.map(({ route }) => route.method);
      if (req.method === 'OPTIONS') {
        counted.method = 'OPTIONS';
        res.writeHead(204, { allow: allowed.join(', ') }).end();
        return;
      }
      const match = found.find(({ route }) => route.method === (req.method ?? 'GET'));
      counted.method = match?.route.method ?? 'other';
      if (!match) {
        res.setHeader('allow', allowed.join(', '));
        throw new ParleyError(
          'invalid_payload',
          `${req.method} is not allowed on ${path}`,
          {},
          405,
        );
      }
      await match.route.handle(req, res, { params: match.params, target });
    } catch (error) {
      // Errors meant for the caller, from the HTTP layer or from code shared with sockets.
      if (error instanceof ParleyError) return sendError(res, error);
      // The client went away mid-body: nobody is left to answer, and nothing went wrong here.
      if (error instanceof RequestAborted) {
        res.destroy();
        return;
      }
      if (error instanceof StoreUnavailableError) {
        services.metrics.storeUnavailable();
        return sendError(
          res,
          new ParleyError('unavailable', 'storage did not answer; the outcome is unknown: retry'),
        );
      }
      services.log.error({ err: error, path: target?.path }, 'http handler failed');
      sendError(res, new ParleyError('internal', 'unexpected server error; it was logged'));
    } finally {
      services.metrics.httpRequest(counted.route, counted.method, res.statusCode);
    }
  };
}
