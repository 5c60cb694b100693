import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../../test/helpers';
import { verifySignature } from '../webhooks/signature';

const SECRET = 'join-hook-secret-0123456789';

/** What the team's backend answers for a join: a status and a body, after a delay. */
type Answer = { status: number; body?: unknown; delayMs?: number };

interface Backend {
  url: string;
  calls: { body: { workspace: string; room: string; user: { id: string } }; signed: boolean }[];
  answer: (user: string) => Answer;
  close(): Promise<void>;
}

/** A real HTTP endpoint, checking signatures as a team's backend would. */
async function startBackend(): Promise<Backend> {
  const backend: Backend = {
    url: '',
    calls: [],
    answer: () => ({ status: 200, body: { allow: true } }),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw);
      backend.calls.push({
        body,
        signed: verifySignature(raw, req.headers['x-parley-signature'] as string, SECRET),
      });
      const { status, body: answer, delayMs = 0 } = backend.answer(body.user.id);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(answer === undefined ? '' : JSON.stringify(answer));
      }, delayMs).unref();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/parley/join`;
  backend.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

let backend: Backend;
let t: TestServer;
afterEach(async () => {
  await t?.close();
  await backend?.close();
});

async function withHook(env: Record<string, string> = {}) {
  backend = await startBackend();
  t = await startServer({
    JOIN_HOOK_URL: backend.url,
    JOIN_HOOK_SECRET: SECRET,
    JOIN_HOOK_TIMEOUT_MS: '300',
    ...env,
  });
  const owner = await t.connect('acme', await t.token('Owner', { sub: 'owner' }));
  await call(owner, 'room:create', { room: 'vault', visibility: 'private' });
  return owner;
}

const join = async (user: string) =>
  request(await t.connect('acme', await t.token(user, { sub: user })), 'room:join', {
    room: 'vault',
  });

describe('the join hook', () => {
  it('is asked, signed, for private rooms nobody admits the user to, and its answer decides', async () => {
    const owner = await withHook();
    backend.answer = (user) =>
      user === 'mod'
        ? { status: 200, body: { allow: true, role: 'moderator' } }
        : user === 'no'
          ? { status: 200, body: { allow: false } }
          : user === 'denied'
            ? { status: 403 }
            : { status: 200, body: { allow: true } };
    expect(await join('yes')).toMatchObject({ ok: true, room: { role: 'member' } });
    expect(await join('mod')).toMatchObject({ ok: true, room: { role: 'moderator' } });
    expect(await join('no')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await join('denied')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(backend.calls.map((c) => c.body.user.id)).toEqual(['yes', 'mod', 'no', 'denied']);
    expect(backend.calls.every((c) => c.signed)).toBe(true);
    expect(backend.calls[0]?.body).toMatchObject({
      workspace: 'acme',
      room: 'vault',
      user: { id: 'yes', name: 'yes' },
    });
    // Stored members, and public rooms, never ask.
    await call(owner, 'member:add', { room: 'vault', userId: 'kept' });
    await call(owner, 'room:create', { room: 'hall' });
    expect(await join('kept')).toMatchObject({ ok: true });
    const hall = await t.connect('acme', await t.token('Walker', { sub: 'walker' }));
    await call(hall, 'room:join', { room: 'hall' });
    expect(backend.calls).toHaveLength(4);
  });

  it('answers unavailable, never a silent allow, when it times out or fails', async () => {
    await withHook({ JOIN_HOOK_CACHE_SECONDS: '0' });
    for (const answer of [
      { status: 200, body: { allow: true }, delayMs: 1000 }, // past the 300 ms timeout
      { status: 500 },
      { status: 502, body: { allow: true } },
      { status: 200, body: { nonsense: 1 } },
    ]) {
      backend.answer = () => answer;
      expect(await join('waiting')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    }
    backend.answer = () => ({ status: 200, body: { allow: true } });
    expect(await join('waiting')).toMatchObject({ ok: true });
  });

  it('is asked once for a burst of joins, and its answers are kept for a while', async () => {
    await withHook({ JOIN_HOOK_CACHE_SECONDS: '60' });
    backend.answer = () => ({ status: 200, body: { allow: true }, delayMs: 100 });
    const token = await t.token('Busy', { sub: 'busy' });
    const tabs = await Promise.all(Array.from({ length: 20 }, () => t.connect('acme', token)));
    // Twenty tabs of one user join at once, while the backend takes its time: one call.
    const answers = await Promise.all(
      tabs.map((tab) => request(tab, 'room:join', { room: 'vault' })),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(backend.calls).toHaveLength(1);
    // They leave and come back (a reconnect): the answer is still known.
    for (const tab of tabs.slice(0, 5)) {
      await call(tab, 'room:leave', { room: 'vault' });
      await call(tab, 'room:join', { room: 'vault' });
    }
    expect(backend.calls).toHaveLength(1);
    // Refusals are kept too, and other users are asked on their own.
    backend.answer = () => ({ status: 200, body: { allow: false } });
    expect(await join('refused')).toMatchObject({ ok: false });
    expect(await join('refused')).toMatchObject({ ok: false });
    expect(backend.calls.map((c) => c.body.user.id)).toEqual(['busy', 'refused']);
  });

  it('grants a role that counts for what they do in the room, and is asked anew after a removal', async () => {
    const owner = await withHook();
    await call(owner, 'room:join', { room: 'vault' });
    backend.answer = (user) =>
      user === 'mod'
        ? { status: 200, body: { allow: true, role: 'moderator' } }
        : { status: 200, body: { allow: true } };
    const mod = await t.connect('acme', await t.token('Mod', { sub: 'mod' }));
    const guest = await t.connect('acme', await t.token('Gus', { sub: 'gus' }));
    await call(mod, 'room:join', { room: 'vault' });
    await call(guest, 'room:join', { room: 'vault' });
    const sent = await call(guest, 'message:send', { room: 'vault', text: 'x', clientMsgId: 'x' });
    // The hook's moderator moderates: deletes others' messages, adds and removes members.
    await call(mod, 'message:delete', {
      room: 'vault',
      seq: sent.message.seq,
      id: sent.message.id,
    });
    await call(mod, 'member:add', { room: 'vault', userId: 'new' });
    const calls = backend.calls.length;
    await call(mod, 'member:remove', { room: 'vault', userId: 'gus' });
    // Gus's cached admission went with the removal: his rejoin asks the backend again, which
    // now says no.
    backend.answer = () => ({ status: 200, body: { allow: false } });
    expect(await request(guest, 'room:join', { room: 'vault' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', reason: 'private_room' },
    });
    expect(backend.calls.slice(calls).map((c) => c.body.user.id)).toEqual(['gus']);
  });
});
