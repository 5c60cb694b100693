import { HttpErrorResponse, PROTOCOL_VERSION } from '@parley/protocol';
import { z } from 'zod';
import type { ApiRoute } from './routes';

const STATUS_TEXT: Record<number, string> = {
  400: 'The request does not match the schema; `error.message` names the field.',
  401: 'Missing, unknown or revoked API key.',
  403: 'The API key does not allow this workspace.',
  404: 'No such room (or message).',
  409: 'It exists already (a room of that name).',
  413: 'The body (or the event data) is too large.',
  429: 'Too many requests for this key; retry after `error.retryAfterMs` (also `Retry-After`).',
  503: 'A backing store did not answer in time; the outcome is unknown. Retry (a message with the same `clientMsgId` is stored once).',
};

const schema = (type: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(type, { io, target: 'openapi-3.0', unrepresentable: 'any' });

/** The OpenAPI 3.0 document of the server API, made from the same routes the server serves. */
export function buildOpenApi(routes: readonly ApiRoute[], prefix: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.keys(route.query ? (schema(route.query, 'input').properties ?? {}) : {}).map(
        (name) => ({ name, in: 'query', required: false, schema: { type: 'integer' } }),
      ),
    ];
    const errors = [...new Set([...route.errors, 401, 429, 503])].sort();
    paths[`${prefix}${route.path}`] ??= {};
    (paths[`${prefix}${route.path}`] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      security: [{ apiKey: [] }],
      parameters,
      ...(route.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: schema(route.body, 'input') } },
        },
      }),
      responses: {
        [route.status]: {
          description: 'OK',
          content: { 'application/json': { schema: schema(route.response, 'output') } },
        },
        ...Object.fromEntries(
          errors.map((status) => [
            status,
            {
              description: STATUS_TEXT[status] ?? 'Error',
              content: { 'application/json': { schema: schema(HttpErrorResponse, 'output') } },
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Parley server API',
      version: `${PROTOCOL_VERSION}`,
      description:
        'Push messages, live events and topics into rooms from any backend, read rooms, members and history, and mint user tokens.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from PARLEY_API_KEYS.' },
      },
    },
    paths,
  };
}
