import {
  DeletedResponse,
  MemberResponse,
  MintTokenResponse,
  RoomListResponse,
  RoomMembersResponse,
  RoomResponse,
} from '@parley/protocol';
import { request } from '@parley/protocol/client';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  nextEvent,
  settle,
  sleep,
  startServer,
  type TestServer,
} from '../../test/helpers';

/**
 * The server API's side of access control: what a team's backend does for its users (create
 * private rooms, add and remove members, ban, delete messages, mint confined tokens), checked
 * from the users' sockets.
 */

const KEY = 'backend-key-0123456789abcdefghij';
const SCOPED = 'scoped-key-0123456789abcdefghijk';

let t: TestServer;
beforeEach(async () => {
  t = await startServer({ PARLEY_API_KEYS: `backend:${KEY},acme-only:${SCOPED}:acme` });
});
afterEach(() => t.close());

function api(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const { method = 'GET', body, key = KEY } = init;
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${t.url}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

async function user(sub: string, name = sub) {
  return t.connect('acme', await t.token(name, { sub, workspaces: ['acme'] }));
}

async function createPrivate(room: string, extra: Record<string, unknown> = {}) {
  const response = await api('/workspaces/acme/rooms', {
    method: 'POST',
    body: { room, visibility: 'private', ...extra },
  });
  expect(response.status).toBe(201);
  return RoomResponse.parse(await response.json()).room;
}

describe('server API: rooms and members', () => {
  it('creates a private room with an owner; a second create answers 409; only members get in', async () => {
    const room = await createPrivate('board', { owner: { id: 'ana', name: 'Ana' }, topic: 'Q4' });
    expect(room).toMatchObject({ name: 'board', visibility: 'private', topic: 'Q4' });
    await expectError(
      await api('/workspaces/acme/rooms', { method: 'POST', body: { room: 'board' } }),
      409,
      'conflict',
    );

    const ana = await user('ana', 'Ana');
    const joined = await call(ana, 'room:join', { room: 'board' });
    expect(joined.room.role).toBe('owner');

    const bo = await user('bo', 'Bo');
    const refused = await request(bo, 'room:join', { room: 'board' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const list = await call(bo, 'room:list', {});
    expect(list.rooms.map((r) => r.name)).not.toContain('board');

    // The API sees every room, private ones too.
    const page = RoomListResponse.parse(await (await api('/workspaces/acme/rooms')).json());
    expect(page.rooms.find((r) => r.name === 'board')?.visibility).toBe('private');
  });

  it('adds a member who may then join, lists members with roles and presence, removes and bans across sockets', async () => {
    await createPrivate('ops', { owner: { id: 'ana', name: 'Ana' } });
    const put = await api('/workspaces/acme/rooms/ops/members/bo', {
      method: 'PUT',
      body: { name: 'Bo (invited)', role: 'moderator' },
    });
    expect(put.status).toBe(200);
    expect(MemberResponse.parse(await put.json()).member).toMatchObject({
      id: 'bo',
      role: 'moderator',
    });

    const boPhone = await user('bo', 'Bo');
    const boLaptop = await user('bo', 'Bo');
    await call(boPhone, 'room:join', { room: 'ops' });
    await call(boLaptop, 'room:join', { room: 'ops' });
    const members = RoomMembersResponse.parse(
      await (await api('/workspaces/acme/rooms/ops/members')).json(),
    ).members;
    expect(members).toEqual([
      expect.objectContaining({ id: 'ana', role: 'owner', online: false }),
      // Online, Bo shows under the name he connected with, not the one he was invited by.
      expect.objectContaining({ id: 'bo', name: 'Bo', role: 'moderator', online: true }),
    ]);

    const told = Promise.all([
      nextEvent(boPhone, 'room:removed'),
      nextEvent(boLaptop, 'room:removed'),
    ]);
    const removed = await api('/workspaces/acme/rooms/ops/members/bo?banSeconds=600', {
      method: 'DELETE',
    });
    expect(removed.status).toBe(200);
    for (const notice of await told) {
      expect(notice).toMatchObject({ room: 'ops', reason: 'banned' });
      expect(Date.parse(notice.until ?? '') - Date.now()).toBeGreaterThan(590_000);
    }
    const rejoin = await request(boPhone, 'room:join', { room: 'ops' });
    expect(rejoin).toMatchObject({ ok: false, error: { code: 'forbidden', reason: 'banned' } });
    const banEnds = rejoin.ok ? undefined : rejoin.error.until;
    expect(Date.parse(banEnds ?? '') - Date.now()).toBeGreaterThan(590_000);
    expect(rejoin.ok === false && rejoin.error.message).toMatch(/banned/);
    const sending = await request(boLaptop, 'message:send', {
      room: 'ops',
      text: 'still here?',
      clientMsgId: 'c1',
    });
    expect(sending.ok).toBe(false);

    // Putting them back lifts the ban.
    const back = await api('/workspaces/acme/rooms/ops/members/bo', { method: 'PUT', body: {} });
    expect(back.status).toBe(200);
    expect((await call(boPhone, 'room:join', { room: 'ops' })).room.role).toBe('member');
  });

  it('a ban from a public room refuses rejoining there and nowhere else', async () => {
    const cy = await user('cy', 'Cy');
    await call(cy, 'room:join', { room: 'lobby' });
    const removed = nextEvent(cy, 'room:removed');
    await api('/workspaces/acme/rooms/lobby/members/cy?banSeconds=60', { method: 'DELETE' });
    expect(await removed).toMatchObject({ room: 'lobby', reason: 'banned' });
    expect(await request(cy, 'room:join', { room: 'lobby' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await call(cy, 'room:join', { room: 'elsewhere' });
  });

  it('lets a banned user back in by themselves once the ban ends', async () => {
    const cy = await user('cy', 'Cy');
    await call(cy, 'room:join', { room: 'brief' });
    const removed = nextEvent(cy, 'room:removed');
    await api('/workspaces/acme/rooms/brief/members/cy?banSeconds=1', { method: 'DELETE' });
    const until = Date.parse((await removed).until ?? '');
    expect(await request(cy, 'room:join', { room: 'brief' })).toMatchObject({ ok: false });
    let joined = await request(cy, 'room:join', { room: 'brief' });
    for (let tries = 0; !joined.ok && tries < 40; tries++) {
      await sleep(100);
      joined = await request(cy, 'room:join', { room: 'brief' });
    }
    expect(joined.ok).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });

  it('deletes any message by seq: a tombstone in history, message:deleted live, the same answer again', async () => {
    const ana = await user('ana', 'Ana');
    const bo = await user('bo', 'Bo');
    await call(ana, 'room:join', { room: 'general' });
    await call(bo, 'room:join', { room: 'general' });
    const { message } = await call(ana, 'message:send', {
      room: 'general',
      text: 'oops, a password',
      clientMsgId: 'p1',
    });
    const deletedLive = nextEvent(bo, 'message:deleted');

    await expectError(
      await api(`/workspaces/acme/rooms/general/messages/${message.seq}?id=not-this-one`, {
        method: 'DELETE',
      }),
      404,
      'not_found',
    );
    const first = await api(
      `/workspaces/acme/rooms/general/messages/${message.seq}?id=${message.id}`,
      { method: 'DELETE' },
    );
    expect(first.status).toBe(200);
    const tombstone = DeletedResponse.parse(await first.json()).message;
    expect(tombstone).toMatchObject({ seq: message.seq, id: message.id, deleted: true, text: '' });
    expect(await deletedLive).toMatchObject({ room: 'general', seq: message.seq, id: message.id });

    const again = await api(`/workspaces/acme/rooms/general/messages/${message.seq}`, {
      method: 'DELETE',
    });
    expect(DeletedResponse.parse(await again.json()).message).toEqual(tombstone);

    const history = await call(bo, 'message:history', { room: 'general' });
    const stored = history.messages.find((m) => m.seq === message.seq);
    expect(stored).toMatchObject({ deleted: true, text: '' });
    expect(JSON.stringify(history)).not.toContain('password');

    await expectError(
      await api('/workspaces/acme/rooms/general/messages/9999', { method: 'DELETE' }),
      404,
      'not_found',
    );
  });

  it('read-only rooms take messages from the API and moderators only', async () => {
    await createPrivate('announcements', { readOnly: true, owner: { id: 'ana' } });
    await api('/workspaces/acme/rooms/announcements/members/bo', { method: 'PUT', body: {} });
    const ana = await user('ana', 'Ana');
    const bo = await user('bo', 'Bo');
    await call(ana, 'room:join', { room: 'announcements' });
    await call(bo, 'room:join', { room: 'announcements' });
    const refused = await request(bo, 'message:send', {
      room: 'announcements',
      text: 'me too',
      clientMsgId: 'b1',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await call(ana, 'message:send', { room: 'announcements', text: 'ship it', clientMsgId: 'a1' });
    const published = await api('/workspaces/acme/rooms/announcements/messages', {
      method: 'POST',
      body: { text: 'v2 is out', author: { name: 'Release bot' } },
    });
    expect(published.status).toBe(201);
    const texts = (await call(bo, 'message:history', { room: 'announcements' })).messages.map(
      (m) => ('text' in m ? m.text : ''),
    );
    expect(texts).toEqual(expect.arrayContaining(['ship it', 'v2 is out']));
    expect(texts).not.toContain('me too');
  });

  it('mints tokens confined to rooms (which open matching private rooms) and admin tokens', async () => {
    await createPrivate('support-42');
    await createPrivate('finance');
    const mint = async (body: Record<string, unknown>) => {
      const response = await api('/tokens', {
        method: 'POST',
        body: { name: 'Dee', workspaces: ['acme'], ...body },
      });
      expect(response.status).toBe(201);
      return MintTokenResponse.parse(await response.json()).token;
    };
    const confined = await t.connect('acme', await mint({ sub: 'dee', rooms: ['support-*'] }));
    expect((await call(confined, 'room:join', { room: 'support-42' })).room.role).toBe('member');
    for (const room of ['finance', 'general']) {
      expect(await request(confined, 'room:join', { room })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    // It lists only the rooms its claim names, private ones included, paged and searchable.
    await api('/workspaces/acme/rooms', { method: 'POST', body: { room: 'support-1' } });
    await api('/workspaces/acme/rooms', { method: 'POST', body: { room: 'lounge' } });
    const names = async (query: { prefix?: string; limit?: number; cursor?: string }) => {
      const page = await call(confined, 'room:list', query);
      return [page.rooms.map((r) => r.name), page.nextCursor] as const;
    };
    expect(await names({})).toEqual([['support-1', 'support-42'], null]);
    expect(await names({ prefix: 'support-4' })).toEqual([['support-42'], null]);
    expect(await names({ prefix: 'lo' })).toEqual([[], null]);
    expect(await names({ limit: 1 })).toEqual([['support-1'], 'support-1']);
    expect(await names({ limit: 1, cursor: 'support-1' })).toEqual([['support-42'], null]);

    const admin = await t.connect('acme', await mint({ sub: 'eve', admin: true }));
    expect((await call(admin, 'room:join', { room: 'finance' })).room.role).toBe('owner');

    // A key scoped to acme may mint admins for acme only.
    const outside = await api('/tokens', {
      method: 'POST',
      key: SCOPED,
      body: { sub: 'mal', name: 'Mal', workspaces: ['globex'], admin: true },
    });
    await expectError(outside, 403, 'forbidden');
  });
});

describe('server API: bad input to the access routes', () => {
  it('answers 400, 404 or 403 with a typed error and changes nothing', async () => {
    await createPrivate('vault', { owner: { id: 'ana' } });
    const cases: [string, { method: string; body?: unknown; key?: string }, number, string][] = [
      [
        '/workspaces/acme/rooms',
        { method: 'POST', body: { room: 'Bad Name!' } },
        400,
        'invalid_payload',
      ],
      [
        '/workspaces/acme/rooms',
        { method: 'POST', body: { room: 'x', visibility: 'secret' } },
        400,
        'invalid_payload',
      ],
      [
        '/workspaces/acme/rooms/vault/members/bo',
        { method: 'PUT', body: { role: 'god' } },
        400,
        'invalid_payload',
      ],
      [
        '/workspaces/acme/rooms/vault/members/bo?banSeconds=0',
        { method: 'DELETE' },
        400,
        'invalid_payload',
      ],
      [
        `/workspaces/acme/rooms/vault/members/bo?banSeconds=${10 ** 12}`,
        { method: 'DELETE' },
        400,
        'invalid_payload',
      ],
      ['/workspaces/acme/rooms/vault/messages/abc', { method: 'DELETE' }, 400, 'invalid_payload'],
      ['/workspaces/acme/rooms/vault/messages/-1', { method: 'DELETE' }, 400, 'invalid_payload'],
      ['/workspaces/acme/rooms/nowhere/members/bo', { method: 'PUT', body: {} }, 404, 'not_found'],
      ['/workspaces/acme/rooms/nowhere/members/bo', { method: 'DELETE' }, 404, 'not_found'],
      [
        '/workspaces/globex/rooms',
        { method: 'POST', body: { room: 'x' }, key: SCOPED },
        403,
        'forbidden',
      ],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await api(path, init);
      expect(response.status, `${init.method} ${path}`).toBe(status);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code, `${init.method} ${path}`).toBe(code);
    }
    const members = RoomMembersResponse.parse(
      await (await api('/workspaces/acme/rooms/vault/members')).json(),
    ).members;
    expect(members.map((m) => [m.id, m.role])).toEqual([['ana', 'owner']]);
  });

  it('any body or user id answers a typed 2xx/4xx, never a 5xx, and never admits a stranger', async () => {
    await createPrivate('fuzzed', { owner: { id: 'ana' } });
    const stranger = await user('zed', 'Zed');
    const watching = collect(stranger, 'message:new');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('..', '%00', 'zed')),
        fc.oneof(
          fc.anything({ maxDepth: 4 }),
          fc.record({ role: fc.string(), name: fc.string({ unit: 'binary' }) }),
        ),
        async (userId, body) => {
          const path = `/workspaces/acme/rooms/fuzzed/members/${encodeURIComponent(userId)}`;
          const response = await api(path, { method: 'PUT', body });
          expect(response.status).toBeLessThan(500);
          if (response.status !== 200) {
            const error = (await response.json()) as { error?: { code?: string } };
            expect(typeof error.error?.code).toBe('string');
          } else {
            // Whatever was stored, it can be removed again, leaving the room as it was.
            const { member } = MemberResponse.parse(await response.json());
            const gone = await api(
              `/workspaces/acme/rooms/fuzzed/members/${encodeURIComponent(member.id)}`,
              { method: 'DELETE' },
            );
            expect(gone.status).toBe(200);
          }
        },
      ),
      { numRuns: 60, seed: 20261201 },
    );
    expect(await request(stranger, 'room:join', { room: 'fuzzed' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await settle(stranger);
    expect(watching).toEqual([]);
  });
});
