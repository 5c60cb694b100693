import { MintTokenResponse, SessionResponse } from '@parley/protocol';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  nextEvent,
  openClient,
  refusal,
  startServer,
  TEST_SECRET,
  type TestServer,
} from '../../test/helpers';

const MAIN = 'main-key-0123456789abcdefghijklmn';
const SCOPED = 'scoped-key-0123456789abcdefghijk';
let t: TestServer;
afterEach(() => t.close());

const start = (env: Record<string, string> = {}) =>
  startServer({ PARLEY_API_KEYS: `backend:${MAIN},ws1-only:${SCOPED}:ws1`, ...env });

function api(path: string, key: string, body: unknown) {
  return fetch(`${t.url}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function session(body: unknown): Promise<SessionResponse> {
  const response = await fetch(`${t.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return SessionResponse.parse(await response.json());
}

/** The claims of a token, unverified (the tests read what was signed). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
}

describe('a workspace-scoped API key', () => {
  it("cannot mint a guest's or an integration's id", async () => {
    t = await start();
    for (const sub of ['guest_0b3c6a54-0000-4000-8000-000000000000', 'integration:backend']) {
      const response = await api('/tokens', SCOPED, { sub, name: 'Mallory', workspaces: ['ws1'] });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_payload' } });
    }
  });

  it('cannot widen a token it minted by trading it at the guest rename', async () => {
    t = await start();
    const minted = MintTokenResponse.parse(
      await (
        await api('/tokens', SCOPED, { sub: 'crm-9', name: 'Eve', workspaces: ['ws1'] })
      ).json(),
    );
    const traded = await session({ name: 'Eve', token: minted.token });
    // Not a guest token: the "rename" is a fresh guest, never crm-9 anywhere.
    expect(traded.user.id).not.toBe('crm-9');
    expect(traded.user.id).toMatch(/^guest_/);
    const elsewhere = await t.connect('ws2', traded.token);
    const joined = await call(elsewhere, 'room:join', { room: 'general' });
    expect(joined.members.map((m) => m.id)).toEqual([traded.user.id]);
  });

  it("publishes as its own integration: another key's author id and clientMsgIds stay theirs", async () => {
    t = await start();
    const publish = (key: string, workspace: string, author: object) =>
      api(`/workspaces/${workspace}/rooms/deploys/messages`, key, {
        text: 'v2 is live',
        author,
        clientMsgId: 'release-2',
      });
    const original = await publish(MAIN, 'ws1', { name: 'CI' });
    expect(original.status).toBe(201);
    const mine = (await original.json()) as { message: { id: string; author: { id: string } } };
    expect(mine.message.author.id).toBe('integration:backend');
    // The scoped key names its author "backend" and reuses the clientMsgId: a message of its own.
    const squat = await publish(SCOPED, 'ws1', { id: 'backend', name: 'CI' });
    expect(squat.status).toBe(201);
    const theirs = (await squat.json()) as typeof mine;
    expect(theirs.message.author.id).toBe('integration:ws1-only:backend');
    expect(theirs.message.id).not.toBe(mine.message.id);
    // And the main key's retry still finds its own message.
    const retry = await publish(MAIN, 'ws1', { name: 'CI' });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as typeof mine).message.id).toBe(mine.message.id);
  });
});

describe('guest renames', () => {
  it('keep the id, the workspaces and the expiry: a rename never extends a guest', async () => {
    t = await start({ GUEST_TOKEN_TTL_SECONDS: '3600' });
    const first = await session({ name: 'Ana' });
    const renamed = await session({ name: 'Ana B', token: first.token });
    expect(renamed.user).toEqual({ id: first.user.id, name: 'Ana B' });
    expect(renamed.expiresAt).toBe(first.expiresAt);
    expect(claimsOf(renamed.token)).toMatchObject({
      ws: '*',
      guest: true,
      exp: claimsOf(first.token).exp,
    });
    // A guest token of the team's backend, limited to ws1, stays limited to ws1.
    const limited = await new SignJWT({ name: 'G', ws: ['ws1'], guest: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('guest_limited')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(TEST_SECRET));
    const again = await session({ name: 'G2', token: limited });
    expect(again.user.id).toBe('guest_limited');
    expect(claimsOf(again.token).ws).toEqual(['ws1']);
    const refused = await refusal(openClient(t.url, 'ws2', again.token));
    expect(refused.data?.code).toBe('forbidden');
  });
});

describe('token lifetimes', () => {
  it('refuses a token that expires further ahead than TOKEN_MAX_TTL_SECONDS, or never', async () => {
    t = await start({ TOKEN_MAX_TTL_SECONDS: '86400', GUEST_TOKEN_TTL_SECONDS: '3600' });
    const sign = (exp: number) =>
      new SignJWT({ name: 'Ana', ws: '*', exp })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u1')
        .sign(new TextEncoder().encode(TEST_SECRET));
    const now = Math.floor(Date.now() / 1000);
    for (const exp of [1e308, now + 86_400 * 365, now + 86_400 + 60]) {
      const refused = await refusal(openClient(t.url, 'acme', await sign(exp)));
      expect(refused.data?.code).toBe('unauthorized');
    }
    const ok = openClient(t.url, 'acme', await sign(now + 3600));
    await new Promise((resolve) => ok.once('connect', () => resolve(null)));
    ok.close();
  });

  it('ends every live connection when its token expires, saying why, whether it sends or not', async () => {
    t = await start();
    const token = await t.token('Ana', { ttlSeconds: 2 });
    const idle = await t.connect('acme', token);
    const busy = await t.connect('acme', token);
    const other = await t.connect('acme', await t.token('Bo', { ttlSeconds: 3600 }));
    const closing = [idle, busy].map((socket) =>
      nextEvent(socket, 'connection:closing', () => true, 5000),
    );
    await call(busy, 'room:join', { room: 'general' });
    await call(other, 'room:join', { room: 'general' });
    const left = nextEvent(other, 'presence:left', () => true, 5000);
    for (const reason of await Promise.all(closing)) {
      expect(reason).toMatchObject({ reason: 'token_expired' });
    }
    await expect.poll(() => idle.connected || busy.connected).toBe(false);
    expect(await left).toMatchObject({ member: { name: 'Ana' } });
    // A connection with a longer token is untouched.
    expect((await call(other, 'room:list', {})).rooms.map((r) => r.name)).toEqual(['general']);
  });
});
