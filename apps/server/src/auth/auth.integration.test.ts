import { SessionResponse } from '@parley/protocol';
import { createChatClient } from '@parley/protocol/client';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  connected,
  openClient,
  refusal,
  startServer,
  TEST_SECRET,
  type TestServer,
} from '../../test/helpers';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.close());

/** Signs like a team's own backend would, with nothing from Parley's code. */
function backendToken(
  claims: Record<string, unknown>,
  { secret = TEST_SECRET, expiresIn = '1h' } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

async function refused(workspace: string, token: string) {
  const socket = openClient(t.url, workspace, token);
  try {
    return await refusal(socket);
  } finally {
    socket.close();
  }
}

describe('handshake authentication', () => {
  it('refuses a connection without a token, saying so', async () => {
    const error = await refused('acme', '');
    expect(error.message).toMatch(/missing token/);
    expect(error.data?.code).toBe('unauthorized');
  });

  it('refuses a malformed token', async () => {
    const error = await refused('acme', 'not-a-jwt');
    expect(error.message).toMatch(/invalid token/);
    expect(error.data?.code).toBe('unauthorized');
  });

  it('refuses an expired token', async () => {
    const token = await backendToken({ sub: 'u1', name: 'Ana', ws: '*' }, { expiresIn: '-10s' });
    const error = await refused('acme', token);
    expect(error.message).toBe('token expired');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await backendToken(
      { sub: 'u1', name: 'Ana', ws: '*' },
      { secret: 'another-secret-that-is-long-enough-for-hs256' },
    );
    expect((await refused('acme', token)).message).toMatch(/signature/);
  });

  it('refuses a token whose claims are incomplete', async () => {
    const token = await backendToken({ sub: 'u1', ws: '*' });
    expect((await refused('acme', token)).message).toMatch(/invalid token claims: name/);
  });

  it('refuses a workspace outside the token ws claim, and admits the ones inside', async () => {
    const token = await backendToken({ sub: 'u1', name: 'Ana', ws: ['a'] });
    const error = await refused('b', token);
    expect(error.message).toBe('token does not allow workspace "b"');
    expect(error.data?.code).toBe('forbidden');
    const inA = await t.connect('a', token);
    expect(inA.connected).toBe(true);
  });

  it('accepts a token minted by a team backend: its id and name are the identity', async () => {
    const token = await backendToken({ sub: 'crm-4711', name: 'Ana Lima', ws: '*' });
    const socket = await t.connect('acme', token);
    const { members } = await call(socket, 'room:join', { room: 'general' });
    expect(members).toEqual([{ id: 'crm-4711', name: 'Ana Lima' }]);
  });

  it('keeps nothing of a checked token for the connection: its identity only', async () => {
    const token = await backendToken({ sub: 'u9', name: 'Ida', ws: '*' });
    const socket = openClient(t.url, 'acme', token);
    try {
      await call(socket, 'room:join', { room: 'general' });
      const [held] = await t.server.io.of('/chat/acme').fetchSockets();
      expect(held?.data.user).toEqual({ id: 'u9', name: 'Ida' });
      // Hundreds of characters per idle socket otherwise, for nothing.
      expect(JSON.stringify(held?.handshake)).not.toContain(token.slice(-20));
      expect(held?.handshake.auth).toEqual({});
    } finally {
      socket.close();
    }
  });

  it('opens one socket when a token comes after a newer attempt asked for one', async () => {
    const token = await t.token('Ana');
    const asked: ((token: string) => void)[] = [];
    let onAsked = () => {};
    const nextAsk = () => new Promise<void>((resolve) => (onAsked = resolve));
    const first = nextAsk();
    const socket = createChatClient({
      url: t.url,
      workspace: 'acme',
      token: () =>
        new Promise<string>((resolve) => {
          asked.push(resolve);
          onAsked();
        }),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      // The first attempt waits for its token; a second asks again before it comes (a
      // reconnection on the browser's `online` event does that).
      await first;
      const second = nextAsk();
      socket.disconnect();
      socket.connect();
      await second;
      asked[0]?.(token);
      asked[1]?.(token);
      await connected(socket);
      // A round trip after both tokens were handed over: any second handshake came before it.
      await call(socket, 'room:join', { room: 'general' });
      expect(await t.server.io.of('/chat/acme').fetchSockets()).toHaveLength(1);
    } finally {
      socket.close();
    }
  });

  it('refuses namespaces that are not a workspace', async () => {
    const socket = openClient(t.url, 'Not_A_Slug', await t.token('Ana'));
    const error = await refusal(socket);
    socket.close();
    expect(error.message).toMatch(/Invalid namespace/);
  });
});

describe('POST /api/v1/session', () => {
  async function postSession(body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('issues a guest token that connects with that name', async () => {
    const response = await postSession({ name: '  Ana 🌸 ' });
    expect(response.status).toBe(201);
    const session = SessionResponse.parse(await response.json());
    expect(session.user.name).toBe('Ana 🌸');
    expect(session.user.id).toMatch(/^guest_/);
    const socket = await t.connect('lobby', session.token);
    const { members } = await call(socket, 'room:join', { room: 'general' });
    expect(members).toEqual([session.user]);
  });

  it('keeps the guest id when a guest changes name with their previous token', async () => {
    const first = SessionResponse.parse(await (await postSession({ name: 'Ana' })).json());
    const renamed = SessionResponse.parse(
      await (await postSession({ name: 'Ana B', token: first.token })).json(),
    );
    expect(renamed.user).toEqual({ id: first.user.id, name: 'Ana B' });
    // A backend user's token cannot be turned into a guest session with that user's id.
    const backend = await backendToken({ sub: 'crm-1', name: 'Boss', ws: '*' });
    const guest = SessionResponse.parse(
      await (await postSession({ name: 'Boss', token: backend })).json(),
    );
    expect(guest.user.id).toMatch(/^guest_/);
    const forged = SessionResponse.parse(
      await (await postSession({ name: 'X', token: 'forged' })).json(),
    );
    expect(forged.user.id).not.toBe(first.user.id);
  });

  it('gives each guest a distinct id, even with the same name', async () => {
    const a = SessionResponse.parse(await (await postSession({ name: 'Ana' })).json());
    const b = SessionResponse.parse(await (await postSession({ name: 'Ana' })).json());
    expect(a.user.id).not.toBe(b.user.id);
  });

  it.each([
    [{}, 'name'],
    [{ name: '   ' }, 'name must not be empty'],
    [{ name: 'x'.repeat(33) }, 'at most 32'],
    [{ name: 'line\nbreak' }, 'control'],
    ['{not json', 'not valid JSON'],
  ])('answers 400 invalid_payload for %j', async (body, expected) => {
    const response = await postSession(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_payload');
    expect(error.message).toContain(expected);
  });

  it('answers 413 for an oversized body', async () => {
    const response = await postSession({ name: 'a', pad: 'x'.repeat(20_000) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('answers 403 when guest tokens are turned off', async () => {
    await t.close();
    t = await startServer({ GUEST_TOKENS: 'false' });
    const response = await postSession({ name: 'Ana' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('allows configured browser origins (CORS), and no others', async () => {
    await t.close();
    t = await startServer({ CORS_ORIGINS: 'http://app.example' });
    const preflight = await fetch(`${t.url}/api/v1/session`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
    const foreign = await postSession({ name: 'Ana' }, { origin: 'http://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
