import { ROOM_PAGE_SIZE } from '@parley/client';
import { HttpPath } from '@parley/protocol';
import { type ChatSocket, createChatClient, request } from '@parley/protocol/client';
import type { Locator, Page } from 'playwright-core';
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
import { horizontalOverflow, isCutShort, lineCounts, oneLineEach } from './layout';
import {
  composer,
  connected,
  personInRoom as enter,
  members,
  message,
  send,
  tabTo,
} from './people';

const API_KEY = 'e2e-api-key-0123456789abcdefghij';
let server: ParleyProcess;
let web: WebProcess;
let browser: BrowserHandle;

beforeAll(async () => {
  const webPort = await freePort();
  server = await parleyServer({
    CORS_ORIGINS: `http://127.0.0.1:${webPort}`,
    // Low enough that a person typing fast in a test meets the limit.
    RATE_MESSAGES_PER_SECOND: '2',
    RATE_MESSAGES_BURST: '5',
    PARLEY_API_KEYS: `e2e:${API_KEY}`,
    // One user makes more rooms than a lobby page holds (the default allows 20 at once).
    RATE_ROOM_CREATES_PER_MINUTE: '200',
    RATE_ROOM_CREATES_BURST: '200',
    RATE_WORKSPACE_ROOM_CREATES_PER_MINUTE: '600',
    RATE_WORKSPACE_ROOM_CREATES_BURST: '600',
  });
  web = await webApp(server.url, webPort);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await server?.stop();
});

/** Opens a room as a new person: the name form first, then the room. */
function personInRoom(name: string, room: string, viewport?: { width: number; height: number }) {
  return enter(browser, web.url, name, room, viewport);
}

describe('two people chatting', () => {
  it('see each other in presence and typing, and chat both ways', async () => {
    const ana = await personInRoom('Ana', 'general');
    const bo = await personInRoom('Bo 🐻', 'general');

    await members(ana.page).getByText('Bo 🐻').waitFor();
    await members(bo.page).getByText('Ana').waitFor();

    await composer(ana.page, 'general').pressSequentially('Hel');
    await bo.page.getByTestId('typing').getByText('Ana is typing…').waitFor();

    await send(ana.page, 'general', 'Hello from Ana');
    await message(bo.page, 'Hello from Ana').waitFor();
    await ana.page.locator('[data-delivery="sent"]', { hasText: 'Hello from Ana' }).waitFor();
    expect(await bo.page.getByTestId('typing').textContent()).toBe('');

    await send(bo.page, 'general', '안녕하세요 Ana! שלום 👋');
    await message(ana.page, '안녕하세요 Ana! שלום 👋').waitFor();

    // Text is text: markup arrives as characters, never as elements.
    await send(ana.page, 'general', '<img src=x onerror="window.pwned=1"> <b>bold?</b>');
    const markup = message(bo.page, '<b>bold?</b>');
    await markup.waitFor();
    expect(await markup.locator('img, b').count()).toBe(0);
    expect(
      await bo.page.evaluate(() => (window as unknown as { pwned?: number }).pwned),
    ).toBeUndefined();

    // One socket per tab.
    expect(ana.sockets).toHaveLength(1);
    expect(bo.sockets).toHaveLength(1);

    // Leaving (closing the tab) shows in the other's presence.
    await bo.context.close();
    await members(ana.page).getByText('Bo 🐻').waitFor({ state: 'detached' });
    await ana.context.close();
  });

  it('keeps the name and shows the history after a reload', async () => {
    const cy = await personInRoom('Cy', 'reload-room');
    await send(cy.page, 'reload-room', 'Remember me');
    await cy.page.locator('[data-delivery="sent"]', { hasText: 'Remember me' }).waitFor();
    await cy.page.reload();
    await cy.page.getByRole('heading', { name: '#reload-room' }).waitFor();
    await message(cy.page, 'Remember me').waitFor();
    await members(cy.page).getByText('Cy').waitFor();
    expect(await cy.page.getByLabel('Display name').count()).toBe(0);
    await cy.context.close();
  });

  it('refuses a message over the limit with a clear message, before sending', async () => {
    const di = await personInRoom('Di', 'limits');
    await composer(di.page, 'limits').fill('x'.repeat(4001));
    await di.page.getByText('Too long: 4001 of 4000 characters. Shorten it to send.').waitFor();
    expect(await di.page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await composer(di.page, 'limits').press('Enter');
    expect(await di.page.locator('.message').count()).toBe(0);
    // At the limit exactly, it goes.
    await composer(di.page, 'limits').press('Backspace');
    await di.page.getByText('4000 / 4000').waitFor();
    await composer(di.page, 'limits').press('Enter');
    await di.page.locator('[data-delivery="sent"]').waitFor();
    await di.context.close();
  });
});

describe('several rooms', () => {
  it('counts unread messages in joined rooms that are not in view, and clears them on opening', async () => {
    const ana = await personInRoom('Ana', 'alpha');
    const bo = await personInRoom('Bo', 'alpha');
    // Ana opens a second room from the lobby; she stays in #alpha.
    await ana.page.getByRole('link', { name: 'Browse rooms' }).click();
    await ana.page.getByLabel('Create or join a room').fill('beta');
    await ana.page.getByRole('button', { name: 'Join' }).click();
    await ana.page.getByRole('heading', { name: '#beta' }).waitFor();

    await send(bo.page, 'alpha', 'one');
    await send(bo.page, 'alpha', 'two');
    const badge = ana.page.locator('[data-room-link="alpha"] .badge');
    await ana.page.locator('[data-room-link="alpha"] [data-unread="2"]').waitFor();
    expect(await ana.page.title()).toBe('(2) #beta · Parley');

    await ana.page.locator('[data-room-link="alpha"]').click();
    await message(ana.page, 'two').waitFor();
    await badge.waitFor({ state: 'detached' });
    expect(await members(bo.page).getByText('Ana').count()).toBe(1);

    // Leaving the room in view: the others see Ana go, the lobby comes back.
    await ana.page.getByRole('button', { name: 'Leave', exact: true }).click();
    await ana.page.getByRole('heading', { name: 'Rooms in lobby' }).waitFor();
    await members(bo.page).getByText('Ana').waitFor({ state: 'detached' });
    await ana.context.close();
    await bo.context.close();
  });
});

describe('failures people can act on', () => {
  it('shows a rate-limited message as failed, and Retry sends it once', async () => {
    const ana = await personInRoom('Ana', 'flood');
    const bo = await personInRoom('Bo', 'flood');
    for (let i = 1; i <= 10; i++) await send(ana.page, 'flood', `burst ${i}`);
    const failed = ana.page.locator('[data-delivery="failed"]').first();
    await failed.getByText(/sending too fast/).waitFor();
    const text = (await failed.locator('.text').textContent()) ?? '';
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await failed.getByRole('button', { name: 'Retry' }).click();
    await ana.page
      .locator('[data-delivery="sent"]', { has: ana.page.getByText(text, { exact: true }) })
      .waitFor();
    await message(bo.page, text).first().waitFor();
    expect(await bo.page.locator('.message .text').getByText(text, { exact: true }).count()).toBe(
      1,
    );
    await ana.context.close();
    await bo.context.close();
  });
});

describe('keyboard only', () => {
  it('signs in, joins a room and sends without a mouse, with a visible focus', async () => {
    const context = await browser.person();
    const page = await context.newPage();
    await page.goto(web.url);
    await tabTo(page, 'input[name="name"]');
    await page.keyboard.type('Keya');
    await page.keyboard.press('Enter');
    await tabTo(page, 'input[placeholder="general"]');
    await page.keyboard.type('keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '#keys' }).waitFor();
    await connected(page);
    await tabTo(page, 'textarea[name="message"]');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).not.toBe('none');
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    const sent = page.locator('[data-delivery="sent"] .text');
    await sent.waitFor();
    expect(await sent.textContent()).toBe('first line\nsecond line');
    await context.close();
  });
});

describe('updates from a backend', () => {
  it('shows published messages marked as an integration, the topic and live events as they come', async () => {
    const ana = await personInRoom('Ana', 'ops');
    const backend = (path: string, method: string, body: unknown) =>
      fetch(`${server.url}/api/v1/workspaces/lobby/rooms/ops${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (
        await backend('/messages', 'POST', {
          text: 'Deploy finished',
          author: { name: 'Deploy bot' },
        })
      ).status,
    ).toBe(201);
    await message(ana.page, 'Deploy finished').waitFor();
    await ana.page.locator('.group', { hasText: 'Deploy bot' }).locator('.app-badge').waitFor();

    expect((await backend('/topic', 'PUT', { topic: 'Incident review at 3pm' })).status).toBe(200);
    await ana.page.locator('.room-header .topic', { hasText: 'Incident review at 3pm' }).waitFor();

    expect(
      (await backend('/events', 'POST', { type: 'build.progress', data: { percent: 64 } })).status,
    ).toBe(202);
    await ana.page
      .locator('[data-live-event="build.progress"]', { hasText: '"percent":64' })
      .waitFor();
    await ana.context.close();
  });
});

describe('connection loss', () => {
  it('shows the banner while the server is down and delivers what was written meanwhile', async () => {
    const ana = await personInRoom('Ana', 'outage');
    const bo = await personInRoom('Bo', 'outage');
    await send(ana.page, 'outage', 'before the outage');
    await message(bo.page, 'before the outage').waitFor();

    await server.stop();
    await ana.page.locator('[data-banner="reconnecting"]').waitFor();
    await bo.page.locator('[data-banner="reconnecting"]').waitFor();
    await send(ana.page, 'outage', 'written while the server was down');
    await ana.page
      .locator('[data-delivery="pending"]', { hasText: 'written while the server was down' })
      .waitFor();

    await server.start();
    await connected(ana.page);
    await connected(bo.page);
    expect(await ana.page.locator('[data-banner]').count()).toBe(0);
    await ana.page
      .locator('[data-delivery="sent"]', { hasText: 'written while the server was down' })
      .waitFor();
    await message(bo.page, 'written while the server was down').waitFor();
    // Exactly once, though it may have been sent twice.
    expect(await message(bo.page, 'written while the server was down').count()).toBe(1);
    await members(bo.page).getByText('Ana').waitFor();
    await ana.context.close();
    await bo.context.close();
  });
});

describe('screenshots for people to look at', () => {
  it('lobby and a busy room, desktop and phone', async () => {
    const ana = await personInRoom('Ana', 'design');
    const bo = await personInRoom('Bo', 'design');
    const lines: [typeof ana, string][] = [
      [ana, 'Morning! Shall we go over the new lobby?'],
      [
        bo,
        'Yes — I pushed the mockups: https://example.com/a/very/long/path/that/should/wrap/nicely/without/overflowing/the/column/at/all',
      ],
      [ana, 'Looks great. The counts update live now.'],
      [ana, 'One more thing: 한국어 and emoji 🎉 render fine.'],
      [bo, 'مرحبا — right-to-left works too.'],
    ];
    for (const [who, text] of lines) {
      await send(who.page, 'design', text);
      await message(ana.page, text).waitFor();
    }
    await composer(bo.page, 'design').pressSequentially('typing…');
    await ana.page.getByTestId('typing').getByText('Bo is typing…').waitFor();
    await ana.page.screenshot({ path: screenshotPath('room-desktop') });

    const lobby = await ana.context.newPage();
    await lobby.goto(web.url);
    await lobby.locator('[data-room-count="design"]', { hasText: '2 online' }).waitFor();
    await lobby.screenshot({ path: screenshotPath('lobby-desktop') });

    const phone = await personInRoom('Cy', 'design', { width: 360, height: 740 });
    await message(phone.page, 'right-to-left works too').waitFor();
    // Long words and URLs wrap instead of widening the page.
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.page.screenshot({ path: screenshotPath('room-phone') });
    for (const person of [ana, bo, phone]) await person.context.close();
  });
});

describe('who is signed in', () => {
  it('the sidebar says so, and "Change name" comes back to the room with the new name', async () => {
    const ana = await personInRoom('Ana', 'names');
    const signedIn = ana.page.getByTestId('signed-in');
    await signedIn.filter({ hasText: 'Signed in as Ana' }).waitFor();
    await signedIn.getByRole('link', { name: 'Change name' }).click();
    await ana.page.getByRole('heading', { name: 'Change your name' }).waitFor();
    await ana.page.getByLabel('Display name').fill('Ana Banana');
    await ana.page.getByRole('button', { name: 'Save name' }).click();
    await ana.page.getByRole('heading', { name: '#names' }).waitFor();
    await signedIn.filter({ hasText: 'Signed in as Ana Banana' }).waitFor();
    await members(ana.page).getByText('Ana Banana').waitFor();
    await ana.context.close();
  });
});

describe('a 360 px phone', () => {
  it('fits every screen in the width, with names and controls on one line', async () => {
    const room = 'team-standup-and-quarterly-planning';
    const context = await browser.person({ width: 360, height: 740 });
    const page = await context.newPage();

    await page.goto(web.url);
    await page.getByLabel('Display name').waitFor();
    await expectFits(page, 'name form', {
      logo: page.locator('.brand'),
      heading: page.getByRole('heading', { name: 'Welcome to Parley' }),
      continue: page.getByRole('button', { name: 'Continue' }),
    });
    await page.getByLabel('Display name').fill('Ana Longname-Example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Rooms in lobby' }).waitFor();
    await expectFits(page, 'lobby', lobbyTexts(page));

    // A room of one's own (so its settings show), private and read-only (so its marks do).
    await page.getByLabel('New room name').fill(room);
    await page.getByLabel('Only people you add (private)').check();
    await page.getByLabel('Read-only: only moderators and owners post').check();
    await page.getByRole('button', { name: 'Create room' }).click();
    const heading = page.getByRole('heading', { name: `#${room}` });
    await heading.waitFor();
    await connected(page);
    await expectFits(page, 'room', {
      logo: page.locator('.sidebar .brand'),
      'joined room': page.locator(`[data-room-link="${room}"]`),
      'browse rooms': page.getByRole('link', { name: 'Browse rooms' }),
      heading,
      online: page.locator('.room-header .online-count'),
      connection: page.locator('.room-header [data-connection]'),
      leave: page.getByRole('button', { name: 'Leave', exact: true }),
    });
    // The name is cut short on screen, and whole in its title (and to screen readers).
    expect(await isCutShort(heading)).toBe(true);
    expect(await heading.getAttribute('title')).toBe(`#${room}`);

    await page.getByText('Members (1)').click();
    const settings = page.getByRole('heading', { name: 'Room settings' });
    await settings.scrollIntoViewIfNeeded();
    await expectFits(page, 'room with its members and settings', {
      members: page.getByText('Members (1)'),
      manage: page.getByRole('heading', { name: 'Manage members' }),
      settings,
      save: page.getByRole('button', { name: 'Save settings' }),
      leave: page.getByRole('button', { name: 'Leave', exact: true }),
    });
    await page.screenshot({ path: screenshotPath('room-phone-settings') });

    await page.getByRole('link', { name: 'Browse rooms' }).click();
    await roomCount(page, room).waitFor();
    await expectFits(page, 'lobby with the room', {
      ...lobbyTexts(page),
      room: page.getByTestId('room-directory').locator('.room-name', { hasText: room }),
      count: roomCount(page, room),
    });

    // Someone sent a link to the room: the name form names it.
    const guest = await (await browser.person({ width: 360, height: 740 })).newPage();
    await guest.goto(`${web.url}/w/lobby/${room}`);
    await guest.getByRole('heading', { name: `Pick a name to join #${room}` }).waitFor();
    expect(await horizontalOverflow(guest)).toBe(0);
    await guest.context().close();
    await context.close();
  });
});

/** No sideways scrolling, and each of `texts` on one line. */
async function expectFits(page: Page, screen: string, texts: Record<string, Locator>) {
  expect(await horizontalOverflow(page), `${screen}: overflow`).toBe(0);
  expect(await lineCounts(texts), `${screen}: lines`).toEqual(oneLineEach(texts));
}

function lobbyTexts(page: Page): Record<string, Locator> {
  return {
    logo: page.locator('.brand'),
    'signed in as': page.locator('.signed-in-who'),
    'change name': page.getByRole('button', { name: 'Change name' }),
    switch: page.getByRole('button', { name: 'Switch' }),
    join: page.getByRole('button', { name: 'Join', exact: true }),
    create: page.getByRole('button', { name: 'Create room' }),
  };
}

describe('the lobby', () => {
  it('lists the rooms with people online first, busiest first, then the quiet ones, and keeps them so live', async () => {
    const workspace = 'busy-and-quiet';
    const maker = await joinedEverywhere(workspace, ['a-quiet', 'b-busy', 'c-quiet', 'd-busiest']);
    for (const room of ['a-quiet', 'c-quiet'])
      expect((await request(maker, 'room:leave', { room })).ok).toBe(true);
    const other = await joinedEverywhere(workspace, ['d-busiest']);

    const context = await browser.person();
    const page = await context.newPage();
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await page.goto(web.url);
    await page.getByLabel('Display name').fill('Pat');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Workspace', { exact: true }).fill(workspace);
    await page.getByRole('button', { name: 'Switch' }).click();

    await roomCount(page, 'd-busiest').filter({ hasText: '2 online' }).waitFor();
    expect(await sectionRooms(page, 'active')).toEqual(['d-busiest', 'b-busy']);
    expect(await sectionRooms(page, 'quiet')).toEqual(['a-quiet', 'c-quiet']);
    await page.getByRole('heading', { name: 'Active now (2)' }).waitFor();
    await page.getByRole('heading', { name: 'No one online (2)' }).waitFor();
    // Quiet rooms are not each marked "0 online": their heading says it once.
    expect(await page.locator('[data-section="quiet"] [data-room-count]').count()).toBe(0);

    // Someone comes into a quiet room: it moves up.
    expect((await request(other, 'room:join', { room: 'c-quiet' })).ok).toBe(true);
    await roomCount(page, 'c-quiet').waitFor();
    expect(await sectionRooms(page, 'active')).toEqual(['d-busiest', 'b-busy', 'c-quiet']);
    expect(await sectionRooms(page, 'quiet')).toEqual(['a-quiet']);

    // The page has an icon of its own (no 404 for it, nor for anything else).
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const iconResponse = await page.request.get(new URL(icon ?? '/favicon.ico', web.url).href);
    expect(iconResponse.status()).toBe(200);
    expect(iconResponse.headers()['content-type']).toContain('image/svg+xml');
    expect(missing).toEqual([]);

    maker.disconnect();
    other.disconnect();
    await context.close();
  });
});

describe('a workspace with more rooms than a page', () => {
  it('lists the first page by name, the rest on "Show more rooms", and rooms starting with what is typed', async () => {
    const workspace = 'many-rooms';
    const north = numbered('north', ROOM_PAGE_SIZE + 5);
    const south = numbered('south', 10);
    // Made out of order: the lobby's order is the server's, by name.
    const maker = await joinedEverywhere(workspace, [...south, ...north].reverse());

    const context = await browser.person();
    const page = await context.newPage();
    await page.goto(web.url);
    await page.getByLabel('Display name').fill('Pat');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Workspace', { exact: true }).fill(workspace);
    await page.getByRole('button', { name: 'Switch' }).click();

    // A page arrives whole: once its last room shows, the list is that page.
    const firstPage = north.slice(0, ROOM_PAGE_SIZE);
    await roomCount(page, firstPage.at(-1)).waitFor();
    expect(await shownRooms(page)).toEqual(firstPage);
    expect(await roomCount(page, 'north-00').textContent()).toBe('1 online');

    const showMore = page.getByRole('button', { name: 'Show more rooms' });
    await showMore.click();
    await roomCount(page, 'south-09').waitFor();
    expect(await shownRooms(page)).toEqual([...north, ...south]);
    await showMore.waitFor({ state: 'detached' });
    // The keyboard goes on from the first room the page added.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('#north-50');

    // A search is a name prefix: lowercased, other characters dropped.
    const search = page.getByLabel('Search rooms');
    await search.pressSequentially('Sou th');
    await roomCount(page, 'north-00').waitFor({ state: 'detached' });
    expect(await shownRooms(page)).toEqual(south);
    await page.getByText('10 rooms starting with “south”.').waitFor();
    expect(await showMore.count()).toBe(0);

    // More rooms match than a page holds: "Show more rooms" stays within the search.
    await search.fill('north');
    await roomCount(page, firstPage.at(-1)).waitFor();
    await roomCount(page, 'south-00').waitFor({ state: 'detached' });
    expect(await shownRooms(page)).toEqual(firstPage);
    await showMore.click();
    await roomCount(page, 'north-54').waitFor();
    await showMore.waitFor({ state: 'detached' });
    expect(await shownRooms(page)).toEqual(north);

    // A room made now, matching the search among the rooms shown, shows up live.
    expect((await request(maker, 'room:join', { room: 'north-07b' })).ok).toBe(true);
    await roomCount(page, 'north-07b').filter({ hasText: '1 online' }).waitFor();
    expect((await shownRooms(page)).slice(7, 10)).toEqual(['north-07', 'north-07b', 'north-08']);

    await search.fill('nowhere');
    await page.getByText('No rooms start with “nowhere”.').waitFor();
    expect(await page.getByTestId('room-directory').count()).toBe(0);

    maker.disconnect();
    await context.close();
  });
});

/** `north-00`, `north-01`, … : `count` names that sort as they are numbered. */
function numbered(stem: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${stem}-${String(i).padStart(2, '0')}`);
}

/** One guest's socket, in each of `rooms` (so they exist and count one online), kept open. */
async function joinedEverywhere(workspace: string, rooms: string[]): Promise<ChatSocket> {
  const response = await fetch(`${server.url}${HttpPath.Session}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Room maker' }),
  });
  const { token } = (await response.json()) as { token: string };
  const socket = createChatClient({ url: server.url, workspace, token, transports: ['websocket'] });
  for (const room of rooms) {
    const result = await request(socket, 'room:join', { room });
    if (!result.ok) throw new Error(`joining #${room}: ${result.error.message}`);
  }
  return socket;
}

function roomCount(page: Page, room: string | undefined) {
  return page.locator(`[data-room-count="${room}"]`);
}

/** The rooms of one part of the lobby's list ("active" or "quiet"), in its order. */
async function sectionRooms(page: Page, section: 'active' | 'quiet'): Promise<string[]> {
  const names = await page.locator(`[data-section="${section}"] .room-name`).allTextContents();
  return names.map((name) => name.replace(/^#/, ''));
}

/** The rooms the lobby lists, in its order, without the "#". */
async function shownRooms(page: Page): Promise<string[]> {
  const names = await page.getByTestId('room-directory').locator('.room-name').allTextContents();
  return names.map((name) => name.replace(/^#/, ''));
}
