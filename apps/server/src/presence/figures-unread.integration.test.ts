import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  collect,
  disconnectHandled,
  nextEvent,
  startServer,
  type TestServer,
  testConfig,
} from '../../test/helpers';
import { StoreUnavailableError } from '../stores/errors';
import { createMemoryStores } from '../stores/memory';

/**
 * A departure is told whatever the room's figures answer: the count and the room are read to go
 * with it (`room:updated`), and a store failing right then once lost the departure too — a ghost
 * in every member's list until they joined again. Real servers, the in-memory stores with the
 * presence count made to fail on demand (a Redis that stops answering mid-way).
 */
let t: TestServer | undefined;
afterEach(() => t?.close());

async function serverWithFailingCounts(env: Record<string, string> = {}) {
  const stores = createMemoryStores(testConfig().limits);
  const count = stores.presence.count.bind(stores.presence);
  const counts = { failing: false, failed: 0 };
  stores.presence.count = async (ref) => {
    if (!counts.failing) return count(ref);
    counts.failed++;
    throw new StoreUnavailableError('presence unreachable');
  };
  t = await startServer(env, { stores });
  const server = t;
  const member = async (name: string) => {
    const socket = await server.connect(
      'acme',
      await server.token(name, { sub: name.toLowerCase() }),
    );
    await call(socket, 'room:join', { room: 'general' });
    return socket;
  };
  return { server, counts, member };
}

describe('a departure whose room figures cannot be read', () => {
  it('is told to the room at once; its count follows once the store answers again', async () => {
    const { counts, member } = await serverWithFailingCounts();
    const bo = await member('Bo');
    const ana = await member('Ana');
    const updates = collect(bo, 'room:updated');
    counts.failing = true;
    const left = nextEvent(bo, 'presence:left', (event) => event.member.id === 'ana');
    await call(ana, 'room:leave', { room: 'general' });
    expect(await left).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect(counts.failed).toBeGreaterThan(0);
    // No count was made up meanwhile: every count Bo heard is a true one.
    expect(updates.every((update) => update.memberCount === 2)).toBe(true);
    counts.failing = false;
    await expect.poll(() => updates.at(-1)?.memberCount, { timeout: 5000 }).toBe(1);
  });

  it('found by the sweep (a grace that ran out), is told to the room all the same', async () => {
    const { server, counts, member } = await serverWithFailingCounts({
      PRESENCE_GRACE_MS: '100',
      PRESENCE_TTL_SECONDS: '3',
    });
    const bo = await member('Bo');
    const ana = await member('Ana');
    const left = nextEvent(bo, 'presence:left', (event) => event.member.id === 'ana', 10_000);
    await disconnectHandled(server, ana);
    counts.failing = true;
    expect(await left).toEqual({ room: 'general', member: { id: 'ana', name: 'Ana' } });
    expect(counts.failed).toBeGreaterThan(0);
  });
});
