import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHandle,
  freePort,
  launchBrowser,
  type ParleyProcess,
  parleyServer,
  type WebProcess,
  webApp,
} from './harness';

let server: ParleyProcess;
let web: WebProcess;
let browser: BrowserHandle;

beforeAll(async () => {
  const webPort = await freePort();
  server = await parleyServer({ CORS_ORIGINS: `http://127.0.0.1:${webPort}` });
  web = await webApp(server.url, webPort, 'dev');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await server?.stop();
});

describe('development mode (React StrictMode runs effects twice)', () => {
  it('opens exactly one Parley socket per tab, across rooms and back', async () => {
    const context = await browser.person();
    const page = await context.newPage();
    const parleySockets: string[] = [];
    page.on('websocket', (socket) => {
      // Next's own hot-reload socket does not count.
      if (socket.url().includes('/socket.io/')) parleySockets.push(socket.url());
    });
    await page.goto(`${web.url}/w/lobby/strict`, { timeout: 120_000 });
    await page.getByLabel('Display name').fill('Strict');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('[data-connection="connected"]').waitFor({ timeout: 120_000 });
    await page.getByRole('link', { name: 'Browse rooms' }).click();
    await page.getByLabel('Create or join a room').fill('second');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('heading', { name: '#second' }).waitFor({ timeout: 120_000 });
    await page.locator('[data-room-link="strict"]').click();
    await page.getByRole('heading', { name: '#strict' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('members').getByText('Strict').waitFor();
    expect(parleySockets).toHaveLength(1);
    await context.close();
  });
});
