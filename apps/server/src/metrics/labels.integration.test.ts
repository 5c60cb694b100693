import { ClientEvent, ERROR_CODES, HttpPath } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../test/helpers';
import { type Sample, scrape } from '../../test/metrics';

const API_KEY = 'backend-key-0123456789abcdefghij';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({
    PARLEY_API_KEYS: `backend:${API_KEY}`,
    // A hostile client here is answered, not cut off: the property needs its connection.
    RATE_EVENTS_PER_SECOND: '100000',
    RATE_EVENTS_BURST: '100000',
  });
});
afterAll(() => t.close());

/** Every value each label may take: fixed lists, whatever clients send. */
async function allowedLabels(): Promise<Record<string, (value: string) => boolean>> {
  const openApi = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  const routes = new Set([
    'unmatched',
    '/metrics',
    '/api/v1/openapi.json',
    ...Object.values(HttpPath),
    ...Object.keys(openApi.paths).map((path) =>
      path.startsWith('/api/v1') ? path : `/api/v1${path}`,
    ),
  ]);
  const oneOf = (values: Iterable<string>) => {
    const set = new Set(values);
    return (value: string) => set.has(value);
  };
  return {
    event: oneOf([...Object.values(ClientEvent), 'other']),
    code: oneOf(['ok', 'other', ...ERROR_CODES]),
    stage: oneOf(['engine', 'workspace']),
    kind: oneOf([
      'events',
      'messages',
      'typing',
      'room_creates',
      'connections',
      'guest_tokens',
      'api',
      'other',
    ]),
    route: (value) => routes.has(value),
    method: oneOf(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'other']),
    status: (value) => /^[1-5]\d\d$/.test(value),
    transport: oneOf(['websocket', 'polling']),
    state: oneOf(['running', 'waiting']),
    lane: oneOf(['messages', 'presence']),
    outcome: oneOf([
      'delivered',
      'retried',
      'given_up',
      'queued',
      'dropped_queue_full',
      'lost',
      'coalesced',
      'over_budget',
      'skipped',
    ]),
    // Redis stores (this test runs in memory: none appear; the Redis test checks their names).
    store: (value) => /^[a-zA-Z.-]+( rate)?$/.test(value),
    path: oneOf(['direct', 'batched']),
    of: oneOf(['all', 'largest']),
    le: (value) => value === '+Inf' || Number.isFinite(Number(value)),
  };
}

/** Parley's own series (Node's and the process's come from prom-client, not from clients). */
const ours = (sample: Sample) =>
  !sample.name.startsWith('parley_nodejs_') && !sample.name.startsWith('parley_process_');

const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

describe('metric labels', () => {
  it('stay within fixed sets whatever event names, rooms and paths a hostile client sends', async () => {
    const allowed = await allowedLabels();
    const socket = await t.connect('acme', await t.token('Mallory'));
    const before = (await scrape(t.url)).filter(ours);
    const emitter = socket as unknown as {
      timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
    };

    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            event: fc.oneof(fc.string(), fc.constantFrom(...Object.values(ClientEvent))),
            room: fc.string(),
            text: fc.string(),
          }),
          { maxLength: 5 },
        ),
        fc.array(
          fc.record({
            method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PURGE'),
            path: fc.oneof(
              fc.webPath(),
              fc
                .string()
                .map(
                  (room) => `/api/v1/workspaces/acme/rooms/${encodeURIComponent(room)}/messages`,
                ),
              fc.string().map((name) => `/api/v1/${encodeURIComponent(name)}`),
            ),
            key: fc.boolean(),
          }),
          { maxLength: 3 },
        ),
        async (events, requests) => {
          for (const { event, room, text } of events) {
            if (RESERVED.has(event)) continue;
            await emitter
              .timeout(2000)
              .emitWithAck(event, { room, text, clientMsgId: text })
              .catch(() => {});
          }
          for (const { method, path, key } of requests) {
            const response = await fetch(`${t.url}${path.startsWith('/') ? path : `/${path}`}`, {
              method,
              headers: key ? { authorization: `Bearer ${API_KEY}` } : {},
            });
            await response.arrayBuffer();
          }
          const samples = (await scrape(t.url)).filter(ours);
          for (const sample of samples) {
            for (const [label, value] of Object.entries(sample.labels)) {
              const check = allowed[label];
              expect(check, `${sample.name}: unexpected label ${label}`).toBeDefined();
              expect(check?.(value), `${sample.name}{${label}="${value}"}`).toBe(true);
            }
          }
        },
      ),
      { numRuns: 40 },
    );

    const after = (await scrape(t.url)).filter(ours);
    // The flood was counted (under `other`), and only ever within the fixed sets above.
    const received = after.find(
      (sample) => sample.name === 'parley_events_received_total' && sample.labels.event === 'other',
    );
    expect(received?.value ?? 0).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThanOrEqual(before.length);
  });
});
