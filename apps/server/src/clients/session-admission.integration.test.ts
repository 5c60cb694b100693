import { chatNamespace } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../../test/helpers';
import { sampleValue, scrape } from '../../test/metrics';
import { rawRequest } from '../../test/raw-http';

/**
 * A node works on MAX_PENDING_SESSIONS new sessions at once (from the handshake to the client's
 * namespace connect): the next is answered 503 `unavailable` at once, polling or websocket, and
 * the client retries after its backoff. Sessions already open are never touched.
 */
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ENGINE = '/socket.io/?EIO=4&transport=polling';

/** A polling handshake: the session's id, or the refusal. */
async function handshake(url: string): Promise<{ status: number; sid?: string; body: string }> {
  const response = await fetch(`${url}${ENGINE}`);
  const body = await response.text();
  const sid = response.ok ? (JSON.parse(body.slice(1)) as { sid: string }).sid : undefined;
  return { status: response.status, sid, body };
}

/** Sends engine packets on a polling session. */
async function post(url: string, sid: string, packet: string): Promise<void> {
  const response = await fetch(`${url}${ENGINE}&sid=${sid}`, { method: 'POST', body: packet });
  expect(response.status).toBe(200);
  await response.text();
}

function upgrade(url: string) {
  return rawRequest(url, {
    target: '/socket.io/?EIO=4&transport=websocket',
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    },
    timeoutMs: 1000,
  });
}

describe('new sessions a node works on at once', () => {
  it('refuses the one past the limit with 503, and admits again once one connects or closes', async () => {
    t = await startServer({ MAX_PENDING_SESSIONS: '2' });
    const { url } = t;
    const first = await handshake(url);
    const second = await handshake(url);
    expect([first.status, second.status]).toEqual([200, 200]);

    const refused = await handshake(url);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { code: 'unavailable', message: expect.stringMatching(/busy/) },
    });
    const ws = await upgrade(url);
    expect(ws.status).toBe(503);
    expect(ws.headers['retry-after']).toBe('1');
    // What is not a new session is served: the HTTP routes, and the sessions already open.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // The first one's namespace connect arrives: its place is free.
    const token = await t.token('Ada');
    await post(url, first.sid as string, `40${chatNamespace('acme')},${JSON.stringify({ token })}`);
    const third = await handshake(url);
    expect(third.status).toBe(200);
    expect((await handshake(url)).status).toBe(503);

    // The second one closes without connecting: its place is free too.
    await post(url, second.sid as string, '1');
    await expect.poll(async () => (await handshake(url)).status).toBe(200);
  });

  it('admits exactly the limit of a flood of handshakes at once, and counts the refusals', async () => {
    t = await startServer({ MAX_PENDING_SESSIONS: '10' });
    const { url } = t;
    const flood = await Promise.all(Array.from({ length: 60 }, () => handshake(url)));
    const admitted = flood.filter((answer) => answer.status === 200);
    expect(admitted).toHaveLength(10);
    expect(flood.filter((answer) => answer.status === 503)).toHaveLength(50);
    const samples = await scrape(url);
    expect(
      sampleValue(samples, 'parley_handshakes_total', { stage: 'engine', code: 'unavailable' }),
    ).toBe(50);
    // Every admitted one connects: ten more places.
    const token = await t.token('Ada');
    for (const { sid } of admitted) {
      await post(url, sid as string, `40${chatNamespace('acme')},${JSON.stringify({ token })}`);
    }
    const next = await Promise.all(Array.from({ length: 12 }, () => handshake(url)));
    expect(next.filter((answer) => answer.status === 200)).toHaveLength(10);
  });

  it('lets a client in once places free up, and leaves connected clients alone', async () => {
    t = await startServer({ MAX_PENDING_SESSIONS: '1' });
    const server = t;
    // Connected clients settle their place at their namespace connect: any number of them.
    const sockets = [];
    for (const name of ['Ada', 'Bo', 'Cy']) {
      const socket = await server.connect('acme', await server.token(name));
      expect((await call(socket, 'room:join', { room: 'general' })).ok).toBe(true);
      sockets.push(socket);
    }
    const idle = await handshake(server.url);
    expect(idle.status).toBe(200);
    // Full now: the connected clients still talk.
    expect((await handshake(server.url)).status).toBe(503);
    const sent = await call(sockets[0] as never, 'message:send', {
      room: 'general',
      text: 'still here',
      clientMsgId: 'm1',
    });
    expect(sent.ok).toBe(true);
    await post(server.url, idle.sid as string, '1');
    await expect.poll(async () => (await handshake(server.url)).status).toBe(200);
  });
});
