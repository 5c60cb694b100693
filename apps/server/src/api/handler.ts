import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  API_PREFIX,
  describeIssues,
  ErrorCode,
  LIMITS,
  RoomName,
  UserId,
  WorkspaceSlug,
} from '@parley/protocol';
import { z } from 'zod';
import { ParleyError } from '../errors';
import { decodePathSegment, type RequestTarget } from '../http/request-target';
import { readJson, sendJson } from '../http/respond';
import type { Services } from '../services';
import type { Broadcaster } from '../socket/broadcast';
import { accessRoutes } from './access-routes';
import { createApiKeyring } from './keys';
import { buildOpenApi } from './openapi';
import { type ApiRoute, apiRoutes } from './routes';

const OPENAPI_PATH = '/openapi.json';
const PARAM_SCHEMAS: Record<string, z.ZodType> = {
  workspace: WorkspaceSlug,
  room: RoomName,
  userId: UserId,
  seq: z.coerce.number().int().min(1),
};

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
}

function compile(route: ApiRoute): CompiledRoute {
  const source = route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return { route, pattern: new RegExp(`^${source}$`) };
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ParleyError(ErrorCode.InvalidPayload, describeIssues(parsed.error, where).join('; '));
}

/**
 * The server API under `/api/v1`: bearer key, a rate limit per key, checked path names, body
 * and query parsed by the protocol's schemas. Answers false for paths that are not its own.
 */
export function createApiHandler({
  services,
  broadcast,
}: {
  services: Services;
  broadcast: Broadcaster;
}) {
  const { config, stores } = services;
  const keyring = createApiKeyring(config.api);
  const rate = stores.rateLimiter('api', config.api.ratePerSecond, config.api.burst);
  const all = [...apiRoutes, ...accessRoutes];
  const routes = all.map(compile);
  const openApi = buildOpenApi(all, API_PREFIX);

  return async (
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
  ): Promise<boolean> => {
    if (!target.path.startsWith(`${API_PREFIX}/`)) return false;
    const path = target.path.slice(API_PREFIX.length);
    if (path === OPENAPI_PATH && req.method === 'GET') {
      sendJson(res, 200, openApi);
      return true;
    }
    const matching = routes.flatMap(({ route, pattern }) => {
      const found = pattern.exec(path);
      return found ? [{ route, params: found.groups ?? {} }] : [];
    });
    if (matching.length === 0) return false;
    const allowed = matching.map(({ route }) => route.method);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { allow: allowed.join(', ') }).end();
      return true;
    }
    const match = matching.find(({ route }) => route.method === req.method);
    if (!match) {
      res.setHeader('allow', allowed.join(', '));
      throw new ParleyError(
        ErrorCode.InvalidPayload,
        `${req.method} is not allowed on ${target.path}`,
        {},
        405,
      );
    }

    const caller = keyring.authenticate(req.headers.authorization);
    const decision = await rate.take(caller.name);
    if (!decision.allowed) {
      throw new ParleyError(
        ErrorCode.RateLimited,
        `too many requests for API key "${caller.name}"`,
        { retryAfterMs: decision.retryAfterMs },
        429,
      );
    }
    const params = Object.fromEntries(
      Object.entries(match.params).map(([name, value]) => {
        const decoded = decodePathSegment(value);
        if (decoded === undefined) {
          throw new ParleyError(ErrorCode.InvalidPayload, `${name}: not percent-encoded UTF-8`);
        }
        return [name, parse(PARAM_SCHEMAS[name] ?? WorkspaceSlug, decoded, name)];
      }),
    );
    const { route } = match;
    const body = route.body
      ? parse(route.body, await readJson(req, LIMITS.packetMaxBytes), 'body')
      : undefined;
    const query = route.query
      ? parse(route.query, Object.fromEntries(target.query), 'query')
      : undefined;
    const result = await route.handle({ caller, params, body, query, services, broadcast });
    sendJson(res, result.status ?? route.status, result.body);
    return true;
  };
}
