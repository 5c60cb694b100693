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
import { decodePathSegment } from '../http/request-target';
import { readJson, sendJson } from '../http/respond';
import type { HttpRoute } from '../http/router';
import type { Services } from '../services';
import type { Broadcaster } from '../socket/broadcast';
import { StoreUnavailableError } from '../stores/errors';
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

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ParleyError(ErrorCode.InvalidPayload, describeIssues(parsed.error, where).join('; '));
}

/**
 * The server API's routes under `/api/v1`, for the one HTTP router: each checks the bearer key
 * and the key's rate limit, then parses its path names, body and query with the protocol's
 * schemas before the route's own handler runs. `GET /api/v1/openapi.json` describes them all.
 */
export function createApiRoutes({
  services,
  broadcast,
}: {
  services: Services;
  broadcast: Broadcaster;
}): HttpRoute[] {
  const { config, stores } = services;
  const keyring = createApiKeyring(config.api);
  const rate = stores.rateLimiter('api', config.api.ratePerSecond, config.api.burst);
  const all = [...apiRoutes, ...accessRoutes];
  // Made when first asked for, not at start-up: a restarting node listens that much sooner.
  let openApi: ReturnType<typeof buildOpenApi> | undefined;

  const toHttp = (route: ApiRoute): HttpRoute => ({
    method: route.method,
    path: `${API_PREFIX}${route.path}`,
    async handle(req, res, { params: raw, target }) {
      const caller = keyring.authenticate(req.headers.authorization);
      const decision = await rate.take(caller.name).catch((error: unknown) => {
        if (route.availableWithoutStore && error instanceof StoreUnavailableError) {
          return { allowed: true as const };
        }
        throw error;
      });
      if (!decision.allowed) {
        services.metrics.rateLimited('api');
        throw new ParleyError(
          ErrorCode.RateLimited,
          `too many requests for API key "${caller.name}"`,
          { retryAfterMs: decision.retryAfterMs },
          429,
        );
      }
      const params = Object.fromEntries(
        Object.entries(raw).map(([name, value]) => {
          const decoded = decodePathSegment(value);
          if (decoded === undefined) {
            throw new ParleyError(ErrorCode.InvalidPayload, `${name}: not percent-encoded UTF-8`);
          }
          return [name, parse(PARAM_SCHEMAS[name] ?? WorkspaceSlug, decoded, name)];
        }),
      );
      const body = route.body
        ? parse(route.body, await readJson(req, LIMITS.packetMaxBytes), 'body')
        : undefined;
      const query = route.query
        ? parse(route.query, Object.fromEntries(target.query), 'query')
        : undefined;
      const result = await route.handle({ caller, params, body, query, services, broadcast });
      sendJson(res, result.status ?? route.status, result.body);
    },
  });

  return [
    {
      method: 'GET',
      path: `${API_PREFIX}${OPENAPI_PATH}`,
      handle: async (_req, res) => {
        openApi ??= buildOpenApi(all, API_PREFIX);
        sendJson(res, 200, openApi);
      },
    },
    ...all.map(toHttp),
  ];
}
