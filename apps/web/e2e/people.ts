/** What a person does in the browser tests: sign in and open a room, write, find messages. */
import type { Page } from 'playwright-core';
import type { BrowserHandle } from './harness';

/** Opens a room as a new person (a browser context of their own): the name form first. */
export async function personInRoom(
  browser: BrowserHandle,
  webUrl: string,
  name: string,
  room: string,
  viewport?: { width: number; height: number },
) {
  const context = await browser.person(viewport);
  const page = await context.newPage();
  const sockets: string[] = [];
  page.on('pageerror', (error) => console.error(`[${name}] page error:`, error.message));
  page.on('websocket', (socket) => sockets.push(socket.url()));
  const emitted = recordEmits(page);
  await page.goto(`${webUrl}/w/lobby/${room}`);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.getByRole('heading', { name: `#${room}` }).waitFor();
  await connected(page);
  return { context, page, sockets, emitted };
}

// A Socket.IO event packet as the client sends it: `42`, the namespace, an ack id, `["name",`.
const EVENT_PACKET = /^42(?:\/[^,]*,)?\d*\["([^"]+)"/;
// Long-polling sends several packets in one body, separated by this.
const RECORD_SEPARATOR = String.fromCharCode(0x1e);

/**
 * The names of the events a page emits to Parley, in order, over WebSocket or (before the
 * upgrade) long-polling: what lets a test say a request was never made.
 */
export function recordEmits(page: Page): string[] {
  const emitted: string[] = [];
  const read = (payload: string) => {
    for (const packet of payload.split(RECORD_SEPARATOR)) {
      const name = EVENT_PACKET.exec(packet)?.[1];
      if (name) emitted.push(name);
    }
  };
  page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => read(String(payload))));
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/socket.io/'))
      read(request.postData() ?? '');
  });
  return emitted;
}

/** This person's user id, from the session the page keeps. */
export function userIdOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((name) => name.startsWith('parley.session:'));
    const session = key
      ? (JSON.parse(localStorage.getItem(key) ?? '{}') as { user?: { id?: string } })
      : {};
    if (!session.user?.id) throw new Error('no Parley session in this page');
    return session.user.id;
  });
}

export function connected(page: Page) {
  return page.locator('[data-connection="connected"]').waitFor({ timeout: 20_000 });
}

export function composer(page: Page, room: string) {
  return page.getByLabel(`Message #${room}`);
}

export async function send(page: Page, room: string, text: string) {
  await composer(page, room).fill(text);
  await composer(page, room).press('Enter');
}

export function message(page: Page, text: string) {
  return page.locator('.message .text', { hasText: text });
}

/** Who is online in the room, as its side panel lists them. */
export function members(page: Page) {
  return page.getByTestId('members');
}

/**
 * Presses Tab until the element matching `selector` has focus. It waits for the element to be
 * on the page first: tabbing through a page that is still rendering would miss it.
 */
export async function tabTo(page: Page, selector: string) {
  await page.locator(selector).first().waitFor();
  for (let i = 0; i < 60; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}
