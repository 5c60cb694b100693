import type { OpsOverview } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { answerProblem, fetchOps, type OpsAnswer } from './fetch-ops';

const OVERVIEW: OpsOverview = {
  at: '2026-12-01T12:00:10.000Z',
  nodes: [
    {
      id: 'node-a',
      startedAt: '2026-12-01T11:00:00.000Z',
      reportedAt: '2026-12-01T12:00:08.000Z',
      connections: 12,
      rooms: 3,
      eventLoopLagMs: 1.5,
      heapUsedBytes: 50_000_000,
      messagesStored: 1000,
      deliveries: 5000,
    },
  ],
  busiestRooms: [{ workspace: 'lobby', room: 'general', sockets: 12 }],
  store: { kind: 'standalone', ok: true, latencyMs: 0.8 },
  webhookBacklog: { messages: 0, presence: null },
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function answering(response: Response | Error) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    if (response instanceof Error) throw response;
    return response;
  };
  return { calls, fetch };
}

describe('fetchOps', () => {
  it('asks GET /api/v1/ops with the key as a bearer token, never in the URL', async () => {
    const server = answering(json(200, OVERVIEW));
    await fetchOps('http://127.0.0.1:3001/', 'secret-key', { fetch: server.fetch });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.url).toBe('http://127.0.0.1:3001/api/v1/ops');
    expect(server.calls[0]?.url).not.toContain('secret-key');
    expect(server.calls[0]?.init.method).toBe('GET');
    expect(server.calls[0]?.init.headers).toMatchObject({ authorization: 'Bearer secret-key' });
  });

  it.each<[string, Response | Error, Partial<OpsAnswer>]>([
    ['an overview that parses', json(200, OVERVIEW), { kind: 'ok', overview: OVERVIEW }],
    [
      'unknown fields are dropped, the rest kept',
      json(200, { ...OVERVIEW, extra: true }),
      { kind: 'ok', overview: OVERVIEW },
    ],
    [
      '401: a wrong key',
      json(401, { error: { code: 'unauthorized' } }),
      { kind: 'unauthorized', status: 401 },
    ],
    ['403: a key not allowed', json(403, {}), { kind: 'unauthorized', status: 403 }],
    [
      'a body that is not an overview',
      json(200, { ...OVERVIEW, nodes: [{ id: 'x' }] }),
      { kind: 'invalid', status: 200 },
    ],
    [
      'more rooms than the contract allows',
      json(200, { ...OVERVIEW, busiestRooms: Array(21).fill(OVERVIEW.busiestRooms[0]) }),
      { kind: 'invalid', status: 200 },
    ],
    [
      'not JSON at all',
      new Response('<html>proxy error</html>', { status: 200 }),
      { kind: 'invalid', status: 200, detail: 'the answer is not JSON' },
    ],
    [
      '404: a server without the endpoint',
      json(404, { error: { code: 'not_found', message: 'No such route' } }),
      { kind: 'invalid', status: 404, detail: 'HTTP 404: No such route' },
    ],
    [
      '502 with an HTML page',
      new Response('bad gateway', { status: 502 }),
      { kind: 'invalid', status: 502, detail: 'HTTP 502' },
    ],
    [
      'the network fails',
      new TypeError('Failed to fetch'),
      { kind: 'unreachable', detail: 'Failed to fetch' },
    ],
  ])('%s', async (_name, response, expected) => {
    const answer = await fetchOps('http://s', 'k', { fetch: answering(response).fetch });
    expect(answer).toMatchObject(expected);
  });

  it('says which fields did not parse', async () => {
    const answer = await fetchOps('http://s', 'k', {
      fetch: answering(json(200, { ...OVERVIEW, store: { kind: 'mongo', ok: true, latencyMs: 1 } }))
        .fetch,
    });
    expect(answer.kind).toBe('invalid');
    expect(answer.kind === 'invalid' && answer.detail).toContain('store.kind');
  });

  it('lets an abort through rather than calling it unreachable', async () => {
    const controller = new AbortController();
    controller.abort();
    const fetch = async () => {
      throw new DOMException('aborted', 'AbortError');
    };
    await expect(fetchOps('http://s', 'k', { fetch, signal: controller.signal })).rejects.toThrow();
  });

  it.each<[Exclude<OpsAnswer, { kind: 'ok' }>, RegExp]>([
    [{ kind: 'unauthorized', status: 401 }, /refused this key/],
    [{ kind: 'unauthorized', status: 403 }, /needs a key for every workspace/],
    [{ kind: 'invalid', status: 200, detail: 'x' }, /not with an operations overview: x/],
    [
      { kind: 'unreachable', detail: 'Failed to fetch' },
      /could not be reached \(Failed to fetch\)/,
    ],
  ])('explains %o', (answer, line) => {
    expect(answerProblem(answer)).toMatch(line);
  });
});
