/**
 * The live operations page (/ops) against a real cluster: two Parley nodes sharing a real
 * redis-server, the web app pointed at the first, and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHandle,
  freePort,
  launchBrowser,
  type ParleyProcess,
  parleyServer,
  type RedisProcess,
  redisServer,
  screenshotPath,
  type WebProcess,
  webApp,
} from './harness';
import { horizontalOverflow } from './layout';
import { personInRoom } from './people';

const API_KEY = 'e2e-ops-key-0123456789abcdefghij';
const ROOM = 'busy';
let redis: RedisProcess;
let nodeA: ParleyProcess;
let nodeB: ParleyProcess;
let web: WebProcess;
let browser: BrowserHandle;

beforeAll(async () => {
  const webPort = await freePort();
  redis = await redisServer();
  const cluster = (nodeId: string) => ({
    CORS_ORIGINS: `http://127.0.0.1:${webPort}`,
    REDIS_URL: redis.url,
    NODE_ID: nodeId,
    PARLEY_API_KEYS: `ops:${API_KEY}`,
    // Heartbeats (and so the nodes' reports) every second, not every 10 s.
    PRESENCE_TTL_SECONDS: '3',
    RATE_API_PER_SECOND: '1000',
    RATE_API_BURST: '1000',
  });
  nodeA = await parleyServer(cluster('node-a'));
  nodeB = await parleyServer(cluster('node-b'));
  web = await webApp(nodeA.url, webPort);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await nodeB?.stop();
  await nodeA?.stop();
  await redis?.stop();
});

/** A backend posting into the room through one node's HTTP API. */
function post(node: ParleyProcess, text: string) {
  return fetch(`${node.url}/api/v1/workspaces/lobby/rooms/${ROOM}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text, author: { name: 'Load bot' } }),
  });
}

async function openOps(viewport?: { width: number; height: number }) {
  const context = await browser.person(viewport);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('[ops] page error:', error.message));
  await page.goto(`${web.url}/ops`);
  await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
  return { context, page };
}

describe('the operations page', () => {
  it('shows two nodes and a message rate that rises while messages are sent, at 360 px', async () => {
    // Someone in the room (on node-a), so messages are delivered too.
    const ana = await personInRoom(browser, web.url, 'Ana', ROOM);
    const { context, page } = await openOps({ width: 360, height: 800 });
    await page.getByLabel('Server API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Watch' }).click();

    // The key is kept in the tab, never put in the address.
    expect(page.url()).not.toContain(API_KEY);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(API_KEY);

    const nodes = page.getByTestId('ops-nodes');
    await nodes.getByRole('rowheader', { name: 'node-a' }).waitFor({ timeout: 20_000 });
    await nodes.getByRole('rowheader', { name: 'node-b' }).waitFor({ timeout: 20_000 });
    expect(await nodes.locator('tbody tr').count()).toBe(2);
    expect(await nodes.locator('tr[data-stale]').count()).toBe(0);
    await page.getByRole('heading', { name: 'Store', exact: true }).waitFor();
    expect(await page.getByTestId('ops-store').textContent()).toContain('standalone');

    const messagesRate = page.locator('[data-rate="messages"]');
    const rate = async () => Number((await messagesRate.getAttribute('data-value')) || Number.NaN);
    // A first rate (two reports apart) before anything is sent: nothing, or next to nothing.
    await expect.poll(rate, { timeout: 20_000 }).toBeGreaterThanOrEqual(0);
    expect(await rate()).toBeLessThan(1);

    // About 20 messages a second, half through each node.
    let sending = true;
    let sent = 0;
    const load = (async () => {
      while (sending) {
        const node = sent % 2 === 0 ? nodeA : nodeB;
        expect((await post(node, `load ${sent}`)).status).toBe(201);
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await expect.poll(rate, { timeout: 30_000, interval: 500 }).toBeGreaterThan(5);
      // Both nodes counted: each one's own rate rises as well.
      for (const id of ['node-a', 'node-b']) {
        const row = nodes.locator(`tr[data-node="${id}"]`);
        await expect
          .poll(async () => Number(await row.locator('td').nth(5).textContent()), {
            timeout: 20_000,
            interval: 500,
          })
          .toBeGreaterThan(1);
      }
    } finally {
      sending = false;
      await load;
    }
    // What a screen reader reads for the chart: the rate now, in words.
    expect(await messagesRate.textContent()).toMatch(/^Now: [\d.]+ messages\/s$/);
    await page.getByTestId('ops-rooms').getByText(`lobby/#${ROOM}`).waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await page.screenshot({ path: screenshotPath('ops-360'), fullPage: true });
    await context.close();
    await ana.context.close();
  });

  it('says so when the key is wrong, and asks for another', async () => {
    const { context, page } = await openOps();
    await page.getByLabel('Server API key').fill('not-a-key-of-this-server-at-all');
    await page.getByRole('button', { name: 'Watch' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused this key' }).waitFor();
    await page.getByLabel('Server API key').waitFor();
    await context.close();
  });
});
