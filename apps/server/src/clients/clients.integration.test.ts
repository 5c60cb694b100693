import { createChatClient, request } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  connected,
  openClient,
  refusal,
  startServer,
  type TestServer,
} from '../../test/helpers';

let t: TestServer;
afterEach(() => t.close());

function mint(headers: Record<string, string> = {}) {
  return fetch(`${t.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name: 'Guest' }),
  });
}

describe('guest tokens per client address', () => {
  it('a flood of fresh guests from one address gets the burst, then 429 with Retry-After', async () => {
    t = await startServer({ RATE_GUEST_TOKENS_PER_MINUTE: '2', RATE_GUEST_TOKENS_BURST: '5' });
    const answers = await Promise.all(Array.from({ length: 200 }, () => mint()));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(195);
    const refused = answers.find((a) => a.status === 429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused?.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // A forwarded-for header from an untrusted peer changes nothing.
    expect((await mint({ 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
  });

  it('renaming is free: only new identities spend the budget', async () => {
    t = await startServer({ RATE_GUEST_TOKENS_PER_MINUTE: '1', RATE_GUEST_TOKENS_BURST: '1' });
    const first = (await (await mint()).json()) as { token: string };
    expect((await mint()).status).toBe(429);
    const renamed = await fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Renamed', token: first.token }),
    });
    expect(renamed.status).toBe(201);
  });

  it('behind a trusted proxy, counts each forwarded client address apart', async () => {
    t = await startServer({
      RATE_GUEST_TOKENS_PER_MINUTE: '1',
      RATE_GUEST_TOKENS_BURST: '1',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    const from = (address: string) => mint({ 'x-forwarded-for': `198.51.100.1, ${address}` });
    expect((await from('203.0.113.1')).status).toBe(201);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(201);
  });
});

describe('connections per client address', () => {
  it('refuses connections past the number open at once, and takes one again once one closed', async () => {
    t = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
    const token = await t.token('Ana');
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await t.connect('acme', token));
    const fourth = openClient(t.url, 'acme', token);
    expect((await refusal(fourth)).message).toMatch(/websocket error|forbidden|rate_limited/);
    fourth.close();
    open[0]?.disconnect();
    // The server counts the close when it sees it: a new attempt succeeds once it has.
    await expect
      .poll(async () => {
        const again = openClient(t.url, 'acme', token);
        try {
          await connected(again);
          return true;
        } catch {
          return false;
        } finally {
          again.close();
        }
      })
      .toBe(true);
  });

  it('refuses new connections from one address faster than the rate', async () => {
    t = await startServer({ RATE_CONNECTIONS_PER_SECOND: '1', RATE_CONNECTIONS_BURST: '4' });
    const token = await t.token('Ana');
    const attempts = Array.from({ length: 12 }, () => openClient(t.url, 'acme', token));
    const outcomes = await Promise.all(
      attempts.map((socket) =>
        connected(socket).then(
          () => 'connected',
          () => 'refused',
        ),
      ),
    );
    for (const socket of attempts) socket.close();
    expect(outcomes.filter((o) => o === 'connected')).toHaveLength(4);
  });
});

describe('browser origins', () => {
  /** A websocket as a browser on `origin` opens it (connecting at once: listen right away). */
  const fromOrigin = (origin: string, token: string) =>
    createChatClient({
      url: t.url,
      workspace: 'acme',
      token,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin },
    });

  it('refuses a websocket from an origin not allowed, and lets native clients (no Origin) in', async () => {
    t = await startServer({ CORS_ORIGINS: 'https://app.example' });
    const token = await t.token('Ana');
    const evil = fromOrigin('https://evil.example', token);
    const refused = refusal(evil);
    const good = fromOrigin('https://app.example', token);
    try {
      await refused;
      await connected(good);
      const native = await t.connect('acme', await t.token('Bo'));
      expect((await call(native, 'room:list', {})).rooms).toEqual([]);
    } finally {
      evil.close();
      good.close();
    }
  });

  it('can be turned off with ORIGIN_CHECK=false', async () => {
    t = await startServer({ CORS_ORIGINS: 'https://app.example', ORIGIN_CHECK: 'false' });
    const socket = fromOrigin('https://elsewhere.example', await t.token('Ana'));
    try {
      await connected(socket);
      expect((await request(socket, 'room:list', {})).ok).toBe(true);
    } finally {
      socket.close();
    }
  });
});
