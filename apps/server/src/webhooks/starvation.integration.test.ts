import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, connected, openClient, testConfig } from '../../test/helpers';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver';
import { createTokenService } from '../auth/tokens';
import { createParleyServer, type ParleyServer } from '../server';
import { createMemoryStores } from '../stores/memory';

let receiver: WebhookReceiver;
let server: ParleyServer | undefined;
const sockets: { close(): void }[] = [];
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await server?.close();
  server = undefined;
  await receiver.close();
});

/** One guest on twenty connections, joining and leaving fresh rooms as fast as it can. */
async function churn(url: string, token: string, cycles: number): Promise<void> {
  const connections = Array.from({ length: 20 }, () => openClient(url, 'acme', token));
  sockets.push(...connections);
  await Promise.all(connections.map(connected));
  await Promise.all(
    connections.map(async (socket, c) => {
      for (let i = 0; i < cycles; i++) {
        await call(socket, 'room:join', { room: `fresh-${c}-${i}` });
        await call(socket, 'room:leave', { room: `fresh-${c}-${i}` });
      }
    }),
  );
}

async function start(env: Record<string, string>, laneCapacity: number) {
  const config = testConfig({
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: 'whsec-starve-0123456789',
    ...env,
  });
  server = createParleyServer(config, {
    stores: createMemoryStores(config.limits, { webhookQueueCapacity: laneCapacity }),
  });
  const url = await server.listen();
  const tokens = createTokenService(config.auth.secret);
  const token = async (sub: string) =>
    (await tokens.issue({ sub, name: sub, ttlSeconds: 600 })).token;
  return { url, token };
}

describe('webhooks under join/leave churn', () => {
  it('never drop message.created for presence events: those have a lane of their own', async () => {
    // Nothing cancelled, nothing over budget: only the lanes stand between churn and messages.
    const { url, token } = await start(
      { WEBHOOK_PRESENCE_COALESCE_MS: '0', WEBHOOK_PRESENCE_EVENTS_PER_MINUTE: '100000' },
      50,
    );
    receiver.answer = () => 'hang'; // a receiver that is slow: everything waits in the queues
    await churn(url, await token('guest_churn'), 10);
    const ana = openClient(url, 'acme', await token('ana'));
    sockets.push(ana);
    await connected(ana);
    await call(ana, 'room:join', { room: 'general' });
    const sent = await call(ana, 'message:send', { room: 'general', text: 'hi', clientMsgId: 'c' });
    const counts = () => server?.counts().webhooks;
    await expect.poll(() => counts()?.droppedQueueFull ?? 0).toBeGreaterThan(0);
    receiver.answer = () => 200;
    await receiver.waitFor(
      (all) =>
        all.some(
          (r) =>
            r.json.type === 'message.created' && JSON.stringify(r.json).includes(sent.message.id),
        ),
      15_000,
    );
  }, 30_000);

  it('cancel each join with its leave: churn queues nothing at all, and is counted', async () => {
    const { url, token } = await start(
      { WEBHOOK_PRESENCE_COALESCE_MS: '60000', WEBHOOK_PRESENCE_EVENTS_PER_MINUTE: '100000' },
      10_000,
    );
    await churn(url, await token('guest_churn'), 5);
    // Twenty connections of one user, five rooms each: joined+left and occupied+vacated per room.
    // Occupancy is settled in the background after each answer: wait for the last of it.
    await expect.poll(() => server?.counts().webhooks.coalesced).toBe(20 * 5 * 4);
    expect(server?.counts().webhooks.queued).toBe(0);
  });

  it('limit the arrivals one user causes; departures of what went out always follow', async () => {
    const { url, token } = await start(
      { WEBHOOK_PRESENCE_COALESCE_MS: '0', WEBHOOK_PRESENCE_EVENTS_PER_MINUTE: '10' },
      10_000,
    );
    await churn(url, await token('guest_churn'), 3);
    // 60 rooms: each an occupied and a joined (120 arrivals); 10 go out, with their departures.
    await expect.poll(() => server?.counts().webhooks.overBudget).toBe(220);
    await receiver.waitFor((all) => all.length === 20, 10_000);
    const types = receiver.received.map((r) => r.json.type);
    expect(types.filter((t) => t === 'member.joined').length).toBe(
      types.filter((t) => t === 'member.left').length,
    );
    expect(types.filter((t) => t === 'room.occupied').length).toBe(
      types.filter((t) => t === 'room.vacated').length,
    );
  });
});
