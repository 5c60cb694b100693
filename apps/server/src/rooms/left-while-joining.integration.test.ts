import { request } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  disconnectHandled,
  settle,
  startServer,
  type TestServer,
  testConfig,
} from '../../test/helpers';
import { createMemoryStores } from '../stores/memory';

/**
 * A join whose store call is still on its way when the connection leaves the room (`room:leave`)
 * or closes. A store that reads first and adds the presence after (the composed join store, as
 * over a Redis Cluster) gets the departure's removal before the entry's add: without care, the
 * entry lands after it — a ghost nothing takes out, the user listed for a socket that left.
 * Real servers; the in-memory store's `enter` held until the test lets it go.
 */
let t: TestServer | undefined;
afterEach(() => t?.close());

async function serverWithHeldJoins(env: Record<string, string> = {}) {
  const stores = createMemoryStores(testConfig().limits);
  const enter = stores.joins.enter.bind(stores.joins);
  const held: (() => void)[] = [];
  let holding = false;
  stores.joins.enter = async (ref, entrant, query) => {
    if (holding) await new Promise<void>((resolve) => held.push(resolve));
    return enter(ref, entrant, query);
  };
  t = await startServer(env, { stores });
  return {
    server: t,
    stores,
    hold: () => {
      holding = true;
    },
    /** Resolves once a join is held; lets every held one go on when `release` is called. */
    async waitHeld() {
      await expect.poll(() => held.length).toBeGreaterThan(0);
    },
    release() {
      holding = false;
      for (const go of held.splice(0)) go();
    },
  };
}

const general = { workspace: 'acme', room: 'general' };

describe('a room left while its join is still entering it', () => {
  it('by room:leave: the join answers not_joined, nobody is left present, the slot is given back once', async () => {
    const { server, stores, hold, waitHeld, release } = await serverWithHeldJoins({
      MAX_ROOMS_PER_SOCKET: '1',
    });
    const ana = await server.connect('acme', await server.token('Ana', { sub: 'ana' }));
    hold();
    const joining = request(ana, 'room:join', { room: 'general' });
    await waitHeld();
    expect(await request(ana, 'room:leave', { room: 'general' })).toMatchObject({ ok: true });
    release();
    expect(await joining).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await stores.presence.count(general)).toBe(0);
    // Its one room slot is free again, and only one: a room joins, a second is refused.
    await call(ana, 'room:join', { room: 'other' });
    expect(await request(ana, 'room:join', { room: 'third' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('by the connection closing: its presence ends as any dropped connection’s', async () => {
    const { server, stores, hold, waitHeld, release } = await serverWithHeldJoins();
    const bo = await server.connect('acme', await server.token('Bo', { sub: 'bo' }));
    await call(bo, 'room:join', { room: 'general' });
    const ana = await server.connect('acme', await server.token('Ana', { sub: 'ana' }));
    hold();
    void request(ana, 'room:join', { room: 'general' }).catch(() => {});
    await waitHeld();
    await disconnectHandled(server, ana);
    release();
    await settle(bo);
    await expect.poll(() => stores.presence.members(general)).toEqual([{ id: 'bo', name: 'Bo' }]);
    // Nothing of Ana's stays: the next sweep finds no one to announce either.
    expect(await stores.presence.count(general)).toBe(1);
  });
});
