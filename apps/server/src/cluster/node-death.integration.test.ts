import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../test/cluster';
import {
  call,
  collect,
  connected,
  nextEvent,
  openClient,
  sleep,
  TEST_SECRET,
  type TestServer,
} from '../../test/helpers';
import { type NodeProcess, spawnNode } from '../../test/node-process';
import { startRedis, type TestRedis, uniquePrefix } from '../../test/redis';

const TTL_SECONDS = 3;

let redis: TestRedis;
let dying: NodeProcess | undefined;
let survivors: TestServer[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await dying?.kill();
  await Promise.all(survivors.map((node) => node.close()));
});
afterAll(() => redis.stop());

describe('a node killed with SIGKILL', () => {
  it('leaves no ghost: its users leave, announced once on every survivor within the presence TTL', async () => {
    const prefix = uniquePrefix();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
    };
    survivors = await startCluster(redis.url, 2, env);
    const [b, c] = survivors as [TestServer, TestServer];
    dying = await spawnNode({ ...env, NODE_ID: 'doomed', PARLEY_AUTH_SECRET: TEST_SECRET });

    // Ana only on the doomed node; Bo has a tab there and one on a survivor.
    const onDoomed = async (name: string) => {
      const socket = openClient(
        dying?.url ?? '',
        'acme',
        await b.token(name, { sub: name.toLowerCase() }),
      );
      await connected(socket);
      await call(socket, 'room:join', { room: 'general' });
      return socket;
    };
    const ana = await onDoomed('Ana');
    const boDoomedTab = await onDoomed('Bo');
    const boTab = await b.connect('acme', await b.token('Bo', { sub: 'bo' }));
    await call(boTab, 'room:join', { room: 'general' });
    const watchB = await b.connect('acme', await b.token('WB', { sub: 'wb' }));
    const watchC = await c.connect('acme', await c.token('WC', { sub: 'wc' }));
    // What C's watcher hears of general, in order: departures and counts.
    const atC: string[] = [];
    watchC.on('presence:left', (e) => e.room === 'general' && atC.push(`left ${e.member.id}`));
    watchC.on('room:updated', (u) => u.room === 'general' && atC.push(`count ${u.memberCount}`));
    for (const watcher of [watchB, watchC]) await call(watcher, 'room:join', { room: 'general' });
    expect((await call(watchB, 'room:join', { room: 'general' })).room.memberCount).toBe(4);
    // Room counts are coalesced: the count after the last join comes a moment later.
    await expect.poll(() => atC.at(-1), { timeout: 5000 }).toBe('count 4');
    const leftAtB = collect(watchB, 'presence:left');
    const leftAtC = collect(watchC, 'presence:left');

    const announcedAtB = nextEvent(watchB, 'presence:left', () => true, TTL_SECONDS * 1000 + 2000);
    const announcedAtC = nextEvent(watchC, 'presence:left', () => true, TTL_SECONDS * 1000 + 2000);
    const killedAt = Date.now();
    await dying.kill();
    expect(await announcedAtB).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    await announcedAtC;
    expect(Date.now() - killedAt).toBeLessThan(TTL_SECONDS * 1000);

    // Two more sweep intervals (a sixth of the TTL each) in which a survivor could announce Ana
    // again, or Bo (still on B), were it to.
    await sleep(TTL_SECONDS * 1000 * (2 / 6) + 200);
    // Then a sentinel from each survivor to both watchers, the way a sweep's announcements go
    // (on the node itself, and through its adapter to the other): whatever the survivors had
    // announced by then has arrived.
    for (const watcher of [watchB, watchC]) await call(watcher, 'room:join', { room: 'after' });
    for (const [node, id] of [
      [b, 'sb'],
      [c, 'sc'],
    ] as const) {
      const sentinel = (e: { room: string; member: { id: string } }) =>
        e.room === 'after' && e.member.id === id;
      const heard = [watchB, watchC].map((w) => nextEvent(w, 'presence:joined', sentinel));
      const socket = await node.connect('acme', await node.token(id.toUpperCase(), { sub: id }));
      await call(socket, 'room:join', { room: 'after' });
      await Promise.all(heard);
    }
    expect(leftAtB).toEqual([{ room: 'general', member: { id: 'ana', name: 'Ana' } }]);
    expect(leftAtC).toEqual(leftAtB);
    // After the departure, its count (sent with it) and nothing more.
    expect(atC.slice(atC.indexOf('left ana'))).toEqual(['left ana', 'count 3']);
    const after = await call(watchC, 'room:join', { room: 'general' });
    expect(after.members.map((m) => m.id).sort()).toEqual(['bo', 'wb', 'wc']);
    ana.close();
    boDoomedTab.close();
  });
});

describe('a node restarted after a crash, with the same NODE_ID', () => {
  it('gives its users until PRESENCE_TTL_SECONDS to come back: one back in time neither left nor arrived', async () => {
    const prefix = uniquePrefix();
    // No grace for a dropped connection: only the restart's own window can keep Ana present.
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      PRESENCE_TTL_SECONDS: '30',
      PRESENCE_GRACE_MS: '0',
    };
    survivors = await startCluster(redis.url, 1, env);
    const [b] = survivors as [TestServer];
    const restartable = { ...env, NODE_ID: 'phoenix', PARLEY_AUTH_SECRET: TEST_SECRET };
    dying = await spawnNode(restartable);
    const anaToken = await b.token('Ana', { sub: 'ana' });
    const ana = openClient(dying.url, 'acme', anaToken);
    await connected(ana);
    await call(ana, 'room:join', { room: 'general' });
    const watcher = await b.connect('acme', await b.token('W', { sub: 'w' }));
    expect((await call(watcher, 'room:join', { room: 'general' })).room.memberCount).toBe(2);
    const left = collect(watcher, 'presence:left');
    const joined = collect(watcher, 'presence:joined');
    const changed = collect(watcher, 'presence:changed');

    await dying.kill();
    dying = await spawnNode(restartable);
    const back = openClient(dying.url, 'acme', anaToken);
    await connected(back);
    const rejoined = await call(back, 'room:join', { room: 'general' });
    expect(rejoined.room.memberCount).toBe(2);

    // A sentinel's arrival on the restarted node: one room's announcements leave a node in
    // order, so it comes after Ana's, were her return announced as an arrival.
    const sentinel = nextEvent(watcher, 'presence:joined', (e) => e.member.id === 'sam');
    const sam = openClient(dying.url, 'acme', await b.token('Sam', { sub: 'sam' }));
    await connected(sam);
    await call(sam, 'room:join', { room: 'general' });
    await sentinel;
    expect(left).toEqual([]);
    expect(changed).toEqual([]);
    expect(joined.map((e) => e.member.id)).toEqual(['sam']);
    for (const socket of [ana, back, sam]) socket.close();
  }, 30_000);
});
