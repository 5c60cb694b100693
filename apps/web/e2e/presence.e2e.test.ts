import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserHandle,
  freePort,
  launchBrowser,
  type ParleyProcess,
  parleyServer,
  screenshotPath,
  type WebProcess,
  webApp,
} from './harness';
import { horizontalOverflow } from './layout';
import { personInRoom as enter } from './people';

/**
 * A busy room: a server that sends arrivals and departures only while one user is online
 * (`PRESENCE_MEMBERS_MAX=1`), so that two people make a room in `count` presence.
 */

let server: ParleyProcess;
let web: WebProcess;
let browser: BrowserHandle;

beforeAll(async () => {
  const webPort = await freePort();
  server = await parleyServer({
    CORS_ORIGINS: `http://127.0.0.1:${webPort}`,
    PRESENCE_MEMBERS_MAX: '1',
  });
  web = await webApp(server.url, webPort);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await server?.stop();
});

function personInRoom(name: string, room: string, viewport?: { width: number; height: number }) {
  return enter(browser, web.url, name, room, viewport);
}

const onlineCount = (page: Page) => page.getByTestId('online-count');
const showWhoIsHere = (page: Page) => page.getByRole('button', { name: "Show who's here" });
const listed = (page: Page) => page.getByRole('list', { name: /Who's here in #/ });

describe('a room in count presence', () => {
  it('shows the count, and lists who is here on demand, on a desktop and at 360 px', async () => {
    const ana = await personInRoom('Ana', 'crowd');
    const bo = await personInRoom('Bo', 'crowd', { width: 360, height: 740 });

    // Ana's panel, open on a desktop: the count, and no list presented as complete.
    await onlineCount(ana.page).getByText('2 online').waitFor();
    expect(await ana.page.locator('.members[data-presence="count"]').count()).toBe(1);
    await showWhoIsHere(ana.page).click();
    await listed(ana.page).getByText('Ana').waitFor();
    await listed(ana.page).getByText('Bo').waitFor();
    expect(await listed(ana.page).locator('li').count()).toBe(2);
    expect(ana.emitted).toContain('presence:list');

    // Bo, on a phone: the folded panel says the count; unfolded, the same, with no overflow.
    const summary = bo.page.locator('.collapsible > summary');
    await summary.getByText('2 online').waitFor();
    await summary.click();
    await onlineCount(bo.page).getByText('2 online').waitFor();
    await showWhoIsHere(bo.page).click();
    await listed(bo.page).getByText('Ana').waitFor();
    await listed(bo.page).getByText('Bo').waitFor();
    expect(await horizontalOverflow(bo.page)).toBe(0);
    await bo.page.screenshot({ path: screenshotPath('presence-count-360') });

    // Bo goes: one online, members presence again, and Ana's list is live once more.
    await bo.context.close();
    await ana.page.locator('.members[data-presence="members"]').waitFor({ timeout: 10_000 });
    await ana.page.getByRole('heading', { name: 'Online — 1' }).waitFor({ timeout: 10_000 });
    await ana.page.getByTestId('members').getByText('Ana').waitFor();
    expect(await ana.page.getByTestId('members').locator('li').count()).toBe(1);
    await ana.context.close();
  });
});
