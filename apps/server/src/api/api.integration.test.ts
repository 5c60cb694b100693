import {
  HistoryResponse,
  MembersResponse,
  Message,
  MintTokenResponse,
  RoomListResponse,
  RoomResponse,
} from '@parley/protocol';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  messagesOf,
  nextEvent,
  settle,
  startServer,
  type TestServer,
} from '../../test/helpers';

const KEY = 'backend-key-0123456789abcdefghij';
const SCOPED = 'scoped-key-0123456789abcdefghijk';
const OLD = 'revoked-key-0123456789abcdefghij';

let t: TestServer;
beforeEach(async () => {
  t = await startServer({
    PARLEY_API_KEYS: `backend:${KEY},acme-only:${SCOPED}:acme,old:${OLD}`,
    PARLEY_API_KEYS_REVOKED: 'old',
  });
});
afterEach(() => t.close());

function api(
  path: string,
  init: { method?: string; body?: unknown; key?: string | null; raw?: string } = {},
) {
  const { method = 'GET', body, key = KEY, raw } = init;
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${t.url}/api/v1${path}`, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

describe('server API authentication', () => {
  it('refuses a missing, an unknown and a revoked key with 401, saying which', async () => {
    expect(
      (await expectError(await api('/workspaces/acme/rooms', { key: null }), 401, 'unauthorized'))
        .message,
    ).toMatch(/missing API key/);
    expect(
      (
        await expectError(
          await api('/workspaces/acme/rooms', { key: 'x'.repeat(30) }),
          401,
          'unauthorized',
        )
      ).message,
    ).toBe('unknown API key');
    expect(
      (await expectError(await api('/workspaces/acme/rooms', { key: OLD }), 401, 'unauthorized'))
        .message,
    ).toMatch(/revoked/);
  });

  it('refuses a workspace outside the key with 403', async () => {
    expect((await api('/workspaces/acme/rooms', { key: SCOPED })).status).toBe(200);
    await expectError(await api('/workspaces/other/rooms', { key: SCOPED }), 403, 'forbidden');
    await expectError(
      await api('/tokens', {
        method: 'POST',
        key: SCOPED,
        body: { sub: 'u1', name: 'U', workspaces: '*' },
      }),
      403,
      'forbidden',
    );
  });
});

describe('publishing into rooms', () => {
  it('stores a message as an integration: seq, history, live delivery, idempotent', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'deploys' });
    await call(ana, 'message:send', { room: 'deploys', text: 'first', clientMsgId: 'a' });
    const live = nextEvent(ana, 'message:new');
    const response = await api('/workspaces/acme/rooms/deploys/messages', {
      method: 'POST',
      body: { text: 'Build 42 is green ✅', author: { name: 'CI' }, clientMsgId: 'build-42' },
    });
    expect(response.status).toBe(201);
    const { message } = (await response.json()) as { message: Message };
    expect(Message.parse(message)).toMatchObject({
      seq: 2,
      text: 'Build 42 is green ✅',
      author: { id: 'integration:backend', name: 'CI', kind: 'integration' },
    });
    expect(await live).toEqual(message);

    const again = await api('/workspaces/acme/rooms/deploys/messages', {
      method: 'POST',
      body: { text: 'Build 42 is green ✅', author: { name: 'CI' }, clientMsgId: 'build-42' },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { message: Message }).message).toEqual(message);

    const history = HistoryResponse.parse(
      await (await api('/workspaces/acme/rooms/deploys/messages?limit=10')).json(),
    );
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2]);
    const older = HistoryResponse.parse(
      await (await api('/workspaces/acme/rooms/deploys/messages?before=2')).json(),
    );
    expect(messagesOf(older.messages).map((m) => m.text)).toEqual(['first']);
  });

  it('creates the room on first publish, so it shows in the room list', async () => {
    const response = await api('/workspaces/acme/rooms/alerts/messages', {
      method: 'POST',
      body: { text: 'disk 91%', author: { id: 'monitor', name: 'Monitor' } },
    });
    expect(response.status).toBe(201);
    const { rooms } = RoomListResponse.parse(await (await api('/workspaces/acme/rooms')).json());
    expect(rooms).toEqual([
      { name: 'alerts', topic: null, memberCount: 0, visibility: 'public', readOnly: false },
    ]);
  });

  it('sends a transient event to the room only, and stores nothing', async () => {
    const ana = await t.connect('acme', await t.token('Ana'));
    const elsewhere = await t.connect('acme', await t.token('Bo'));
    await call(ana, 'room:join', { room: 'builds' });
    await call(elsewhere, 'room:join', { room: 'random' });
    const seenElsewhere = collect(elsewhere, 'room:event');
    const event = nextEvent(ana, 'room:event');
    const response = await api('/workspaces/acme/rooms/builds/events', {
      method: 'POST',
      body: { type: 'build.progress', data: { build: 42, percent: 64 } },
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivered: true });
    expect(await event).toEqual({
      room: 'builds',
      type: 'build.progress',
      data: { build: 42, percent: 64 },
    });
    await settle(elsewhere);
    expect(seenElsewhere).toEqual([]);
    expect((await call(ana, 'message:history', { room: 'builds' })).messages).toEqual([]);
  });

  it('sets a topic that lobbies hear and later joins see', async () => {
    const lobby = await t.connect('acme', await t.token('Lobby'));
    await call(lobby, 'room:list', {}); // a lobby: it hears every room's count
    const updated = nextEvent(lobby, 'room:updated', (u) => u.room === 'launch');
    const response = await api('/workspaces/acme/rooms/launch/topic', {
      method: 'PUT',
      body: { topic: 'Ship on Friday 🚀' },
    });
    const open = { visibility: 'public', readOnly: false };
    expect(RoomResponse.parse(await response.json()).room).toEqual({
      name: 'launch',
      topic: 'Ship on Friday 🚀',
      memberCount: 0,
      ...open,
    });
    expect(await updated).toEqual({
      room: 'launch',
      topic: 'Ship on Friday 🚀',
      memberCount: 0,
      presence: 'members',
      ...open,
    });
    const joined = await call(lobby, 'room:join', { room: 'launch' });
    expect(joined.room.topic).toBe('Ship on Friday 🚀');
    const cleared = await api('/workspaces/acme/rooms/launch/topic', {
      method: 'PUT',
      body: { topic: '' },
    });
    expect(RoomResponse.parse(await cleared.json()).room.topic).toBeNull();
  });

  it('reads present members, and 404s for a room that does not exist', async () => {
    const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
    await call(ana, 'room:join', { room: 'general' });
    const { members } = MembersResponse.parse(
      await (await api('/workspaces/acme/rooms/general/members')).json(),
    );
    expect(members).toEqual([{ id: 'ana', name: 'Ana' }]);
    await expectError(await api('/workspaces/acme/rooms/nowhere/members'), 404, 'not_found');
    await expectError(await api('/workspaces/acme/rooms/nowhere/messages'), 404, 'not_found');
  });

  it('mints user tokens that connect with that identity', async () => {
    const response = await api('/tokens', {
      method: 'POST',
      body: { sub: 'crm-7', name: 'Dana', workspaces: ['acme'], ttlSeconds: 600 },
    });
    expect(response.status).toBe(201);
    const minted = MintTokenResponse.parse(await response.json());
    expect(minted.user).toEqual({ id: 'crm-7', name: 'Dana' });
    const socket = await t.connect('acme', minted.token);
    expect((await call(socket, 'room:join', { room: 'general' })).members).toEqual([minted.user]);
  });
});

describe('server API errors', () => {
  it.each([
    ['/workspaces/acme/rooms/general/messages', { text: '', author: { name: 'CI' } }, 'text'],
    [
      '/workspaces/acme/rooms/general/messages',
      { text: 'x'.repeat(4001), author: { name: 'CI' } },
      'at most 4000',
    ],
    ['/workspaces/acme/rooms/general/messages', { text: 'hi' }, 'author'],
    ['/workspaces/acme/rooms/general/events', { type: 'bad type!', data: 1 }, 'type'],
    ['/workspaces/acme/rooms/general/events', { type: 'ok' }, 'data'],
    ['/workspaces/acme/rooms/General/events', { type: 'ok', data: 1 }, 'room'],
    ['/tokens', { sub: '', name: 'X' }, 'sub'],
    ['/tokens', { sub: 'u', name: 'X', ttlSeconds: 10 }, 'ttlSeconds'],
  ])('POST %s with a bad body answers 400 naming the field (%#)', async (path, body, field) => {
    const error = await expectError(
      await api(path, { method: 'POST', body }),
      400,
      'invalid_payload',
    );
    expect(error.message).toContain(field);
  });

  it('answers 400 for a body that is not JSON and for a bad query', async () => {
    await expectError(
      await api('/workspaces/acme/rooms/general/messages', { method: 'POST', raw: '{oops' }),
      400,
      'invalid_payload',
    );
    await api('/workspaces/acme/rooms/general/topic', { method: 'PUT', body: { topic: 'x' } });
    await expectError(
      await api('/workspaces/acme/rooms/general/messages?limit=500'),
      400,
      'invalid_payload',
    );
  });

  it('answers 413 for event data over the limit and for an oversized body', async () => {
    await expectError(
      await api('/workspaces/acme/rooms/general/events', {
        method: 'POST',
        body: { type: 'blob', data: 'x'.repeat(17_000) },
      }),
      413,
      'payload_too_large',
    );
    await expectError(
      await api('/workspaces/acme/rooms/general/messages', {
        method: 'POST',
        raw: JSON.stringify({ pad: 'x'.repeat(70_000) }),
      }),
      413,
      'payload_too_large',
    );
  });

  it('answers 404 for unknown API paths and 405 for wrong methods', async () => {
    await expectError(await api('/nothing/here'), 404, 'not_found');
    const wrong = await api('/workspaces/acme/rooms', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
  });

  it('rate-limits each key, with Retry-After, without slowing other keys', async () => {
    await t.close();
    t = await startServer({
      PARLEY_API_KEYS: `backend:${KEY},other:${SCOPED}`,
      RATE_API_PER_SECOND: '2',
      RATE_API_BURST: '3',
    });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api('/workspaces/acme/rooms')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await api('/workspaces/acme/rooms');
    const error = await expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    expect((await api('/workspaces/acme/rooms', { key: SCOPED })).status).toBe(200);
  });
});

describe('OpenAPI document', () => {
  type Operation = {
    responses: Record<string, { content: { 'application/json': { schema: object } } }>;
  };
  type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

  it('lists exactly the routes the server answers', async () => {
    const document = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as Document;
    expect(document.openapi).toBe('3.0.3');
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      [
        'GET /api/v1/workspaces/{workspace}/rooms',
        'POST /api/v1/workspaces/{workspace}/rooms/{room}/messages',
        'GET /api/v1/workspaces/{workspace}/rooms/{room}/messages',
        'POST /api/v1/workspaces/{workspace}/rooms/{room}/events',
        'PUT /api/v1/workspaces/{workspace}/rooms/{room}/topic',
        'GET /api/v1/workspaces/{workspace}/rooms/{room}/members',
        'POST /api/v1/tokens',
        'POST /api/v1/workspaces/{workspace}/rooms',
        'PUT /api/v1/workspaces/{workspace}/rooms/{room}/members/{userId}',
        'DELETE /api/v1/workspaces/{workspace}/rooms/{room}/members/{userId}',
        'DELETE /api/v1/workspaces/{workspace}/rooms/{room}/messages/{seq}',
        'GET /api/v1/ops',
      ].sort(),
    );
  });

  it('describes what the server really answers, success and error alike', async () => {
    const document = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as Document;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const calls: [string, string, string, unknown?][] = [
      [
        'PUT',
        '/workspaces/{workspace}/rooms/{room}/topic',
        '/workspaces/acme/rooms/general/topic',
        { topic: 'Hi' },
      ],
      [
        'POST',
        '/workspaces/{workspace}/rooms/{room}/messages',
        '/workspaces/acme/rooms/general/messages',
        { text: 'hi', author: { name: 'CI' } },
      ],
      [
        'GET',
        '/workspaces/{workspace}/rooms/{room}/messages',
        '/workspaces/acme/rooms/general/messages',
      ],
      [
        'POST',
        '/workspaces/{workspace}/rooms/{room}/events',
        '/workspaces/acme/rooms/general/events',
        { type: 't', data: null },
      ],
      [
        'GET',
        '/workspaces/{workspace}/rooms/{room}/members',
        '/workspaces/acme/rooms/general/members',
      ],
      ['GET', '/workspaces/{workspace}/rooms', '/workspaces/acme/rooms'],
      ['POST', '/tokens', '/tokens', { sub: 'u', name: 'U' }],
      ['POST', '/tokens', '/tokens', { sub: '' }],
      [
        'GET',
        '/workspaces/{workspace}/rooms/{room}/members',
        '/workspaces/acme/rooms/none/members',
      ],
      ['GET', '/workspaces/{workspace}/rooms', '/workspaces/other/rooms'],
      [
        'POST',
        '/workspaces/{workspace}/rooms',
        '/workspaces/acme/rooms',
        { room: 'team', visibility: 'private' },
      ],
      ['POST', '/workspaces/{workspace}/rooms', '/workspaces/acme/rooms', { room: 'team' }],
      [
        'PUT',
        '/workspaces/{workspace}/rooms/{room}/members/{userId}',
        '/workspaces/acme/rooms/team/members/u1',
        { role: 'moderator' },
      ],
      [
        'DELETE',
        '/workspaces/{workspace}/rooms/{room}/members/{userId}',
        '/workspaces/acme/rooms/team/members/u1?banSeconds=60',
      ],
      [
        'DELETE',
        '/workspaces/{workspace}/rooms/{room}/messages/{seq}',
        '/workspaces/acme/rooms/general/messages/1',
      ],
      [
        'DELETE',
        '/workspaces/{workspace}/rooms/{room}/messages/{seq}',
        '/workspaces/acme/rooms/general/messages/999',
      ],
      ['GET', '/ops', '/ops'],
    ];
    for (const [method, template, path, body] of calls) {
      const response = await api(path, {
        method,
        body,
        key: path.includes('/other/') ? SCOPED : KEY,
      });
      const operation = document.paths[`/api/v1${template}`]?.[method.toLowerCase()];
      const documented = operation?.responses[String(response.status)];
      expect(
        documented,
        `${method} ${path} answered an undocumented ${response.status}`,
      ).toBeDefined();
      const validate = ajv.compile(documented?.content['application/json'].schema ?? {});
      const payload = await response.json();
      expect(validate(payload), `${method} ${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });
});
