/**
 * Parley as `pnpm dev` runs it (scripts/dev.sh): the server from source and `next dev`, where
 * React StrictMode runs effects twice and Next serves its scripts only to the hosts it allows.
 */
import { networkInterfaces } from 'node:os';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BrowserHandle, type DevProcess, devScript, launchBrowser } from './harness';
import { personInRoom } from './people';

let dev: DevProcess;
let browser: BrowserHandle;
// Generous: the first visit to each page compiles it.
const FIRST_VISIT_MS = 120_000;

beforeAll(async () => {
  dev = await devScript();
  browser = await launchBrowser();
});

// A failure here is often the dev server's (a compile error; a restart of the server, which
// `tsx watch` does whenever apps/server/src changes): only its output shows which.
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`scripts/dev.sh said:\n${dev?.output().slice(-4000)}`));
});

afterAll(async () => {
  await browser?.close();
  dev?.stop();
});

/** This machine's first network address, as `next dev` prints it ("Network: …"), if any. */
function networkAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && !address.internal && address.family === 'IPv4')?.address;
}

describe('development mode (React StrictMode runs effects twice)', () => {
  it('opens exactly one Parley socket per tab, across rooms and back', async () => {
    const context = await browser.person();
    const page = await context.newPage();
    const parleySockets: string[] = [];
    page.on('websocket', (socket) => {
      // Next's own hot-reload socket does not count.
      if (socket.url().includes('/socket.io/')) parleySockets.push(socket.url());
    });
    await page.goto(`${dev.webUrl('127.0.0.1')}/w/lobby/strict`, { timeout: FIRST_VISIT_MS });
    await page.getByLabel('Display name').fill('Strict');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('[data-connection="connected"]').waitFor({ timeout: FIRST_VISIT_MS });
    await page.getByRole('link', { name: 'Browse rooms' }).click();
    await page.getByLabel('Create or join a room').fill('second');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('heading', { name: '#second' }).waitFor({ timeout: FIRST_VISIT_MS });
    await page.locator('[data-room-link="strict"]').click();
    await page.getByRole('heading', { name: '#strict' }).waitFor({ timeout: FIRST_VISIT_MS });
    await page.getByTestId('members').getByText('Strict').waitFor();
    expect(parleySockets).toHaveLength(1);
    await context.close();
  });

  it('works at localhost, 127.0.0.1 and the network address alike: the page hydrates and its socket connects', async () => {
    // Before allowedDevOrigins, a page opened anywhere but localhost stayed on "Loading…".
    const hosts = ['localhost', '127.0.0.1', networkAddress()].filter((host) => host);
    for (const host of hosts) {
      // personInRoom waits for the name form (only the client renders it) and the connection.
      const person = await personInRoom(browser, dev.webUrl(`${host}`), `At ${host}`, 'hosts');
      await person.context.close();
    }
  });

  it("keeps Next's dev tools badge off who is signed in and the room's controls", async () => {
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 360, height: 740 },
    ]) {
      const { page, context } = await personInRoom(
        browser,
        dev.webUrl('127.0.0.1'),
        'Badge',
        'badge',
        viewport,
      );
      // Next draws its mark, and at moments (compiling, an issue count) a status button beside
      // it: every one of them on screen must keep off the controls.
      const badges = page.locator('[data-nextjs-dev-tools-button]');
      await badges.first().waitFor();
      const controls = [
        page.getByRole('button', { name: 'Leave', exact: true }),
        page.getByRole('link', { name: 'Browse rooms' }),
        page.getByRole('button', { name: 'Send' }),
        page.getByLabel('Message #badge'),
      ];
      if (viewport.width > 640) controls.push(page.getByTestId('signed-in'));
      for (const badge of await badges.all()) {
        // A status button may go while it is measured: only what is on screen counts.
        if (!(await badge.boundingBox())) continue;
        for (const control of controls)
          expect(
            await overlap(badge, control),
            `badge over ${control} at ${viewport.width}px`,
          ).toBe(0);
      }
      await context.close();
    }
  });
});

describe('stopping', () => {
  it('stops on Ctrl+C with everything it started, says so and exits 0', async () => {
    const { code, signal, output } = await dev.interrupt();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/Parley stopped\.\s*$/);
    expect(output).not.toMatch(/ELIFECYCLE|Force killed|Command failed|exited by itself/);
    // Both parts were gone before it said so: nothing answers at their ports.
    await expect(fetch(dev.webUrl('127.0.0.1'))).rejects.toThrow();
    await expect(fetch(`${dev.serverUrl}/healthz`)).rejects.toThrow();
  });
});

/** The area, in px², where two elements' boxes overlap. */
async function overlap(a: Locator, b: Locator): Promise<number> {
  const [boxA, boxB] = [await a.boundingBox(), await b.boundingBox()];
  if (!boxA || !boxB) throw new Error('an element is not on screen');
  const width = Math.min(boxA.x + boxA.width, boxB.x + boxB.width) - Math.max(boxA.x, boxB.x);
  const height = Math.min(boxA.y + boxA.height, boxB.y + boxB.height) - Math.max(boxA.y, boxB.y);
  return Math.max(0, width) * Math.max(0, height);
}
