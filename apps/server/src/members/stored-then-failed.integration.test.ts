import { request } from '@parley/protocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { call, nextEvent, startServer, type TestServer, testConfig } from '../../test/helpers';
import { StoreUnavailableError } from '../stores/errors';
import { createMemoryStores } from '../stores/memory';

/**
 * A removal or a role change is applied to the user's sockets as soon as it is stored, whatever
 * the writes after it answer (the ban, the unban, keeping the room from expiring, the figures):
 * once, one of those failing left a removed user in the room, or a demoted moderator
 * moderating, until they joined again. The moderator is answered the failure, and may ask again.
 * Real servers; the in-memory stores with one write made to fail on demand.
 */
let t: TestServer | undefined;
afterEach(() => t?.close());

type Failing = 'ban' | 'unban' | 'retire';

async function roomWithBo() {
  const stores = createMemoryStores(testConfig().limits);
  const failing = new Set<Failing>();
  const fail =
    <A extends unknown[], R>(name: Failing, write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (failing.delete(name)) throw new StoreUnavailableError(`${name} unreachable`);
      return write(...args);
    };
  stores.members.ban = fail('ban', stores.members.ban.bind(stores.members));
  stores.members.unban = fail('unban', stores.members.unban.bind(stores.members));
  stores.rooms.retire = fail('retire', stores.rooms.retire.bind(stores.rooms));
  t = await startServer({}, { stores });
  const ana = await t.connect('acme', await t.token('Ana', { sub: 'ana' }));
  await call(ana, 'room:create', { room: 'vault', visibility: 'private' });
  await call(ana, 'member:add', { room: 'vault', userId: 'bo' });
  const bo = await t.connect('acme', await t.token('Bo', { sub: 'bo' }));
  await call(bo, 'room:join', { room: 'vault' });
  return { ana, bo, failing };
}

describe('a membership change stored, then a later write failing', () => {
  it('a ban that fails after the removal: Bo is out of the room all the same, the owner told it failed', async () => {
    const { ana, bo, failing } = await roomWithBo();
    failing.add('ban');
    const removed = nextEvent(bo, 'room:removed');
    expect(
      await request(ana, 'member:remove', { room: 'vault', userId: 'bo', banSeconds: 3600 }),
    ).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await removed).toMatchObject({ room: 'vault', reason: 'removed' });
    expect(
      await request(bo, 'message:send', { room: 'vault', text: 'still here?', clientMsgId: 'x1' }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // Asked again, the ban holds.
    await call(ana, 'member:remove', { room: 'vault', userId: 'bo', banSeconds: 3600 });
    expect(await request(bo, 'room:join', { room: 'vault' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('a ban stored, the room write after it failing: Bo is banned and out', async () => {
    const { ana, bo, failing } = await roomWithBo();
    failing.add('retire');
    const removed = nextEvent(bo, 'room:removed');
    expect(
      await request(ana, 'member:remove', { room: 'vault', userId: 'bo', banSeconds: 3600 }),
    ).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await removed).toMatchObject({ room: 'vault', reason: 'banned' });
  });

  it('a role stored, the unban after it failing: the new role reaches Bo’s socket at once', async () => {
    const { ana, bo, failing } = await roomWithBo();
    failing.add('unban');
    const role = nextEvent(bo, 'room:role');
    expect(
      await request(ana, 'member:add', { room: 'vault', userId: 'bo', role: 'moderator' }),
    ).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await role).toMatchObject({ room: 'vault', role: 'moderator' });
  });
});
