import type { Page } from 'playwright-core';
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
import {
  composer,
  connected,
  personInRoom as enter,
  members,
  message,
  send,
  userIdOf,
} from './people';

let server: ParleyProcess;
let web: WebProcess;
let browser: BrowserHandle;

beforeAll(async () => {
  const webPort = await freePort();
  server = await parleyServer({ CORS_ORIGINS: `http://127.0.0.1:${webPort}` });
  web = await webApp(server.url, webPort);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await server?.stop();
});

function personInRoom(name: string, room: string) {
  return enter(browser, web.url, name, room);
}

/** From a room to the lobby, through the sidebar. */
async function toLobby(page: Page) {
  await page.getByRole('link', { name: 'Browse rooms' }).click();
  await page.getByRole('heading', { name: 'Rooms in lobby' }).waitFor();
}

async function createRoom(
  page: Page,
  room: string,
  options: { private?: boolean; readOnly?: boolean },
) {
  await toLobby(page);
  await page.getByLabel('New room name').fill(room);
  if (options.private) await page.getByLabel('Only people you add (private)').check();
  if (options.readOnly) await page.getByLabel('Read-only: only moderators and owners post').check();
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name: `#${room}` }).waitFor();
  await page.locator('.room-header [data-connection="connected"]').waitFor();
}

function roomCount(page: Page, room: string) {
  return page.locator(`[data-room-count="${room}"]`);
}

/** A member's entry in the owner's members panel. */
function rosterEntry(page: Page, name: string) {
  return page.getByTestId('roster').locator('[data-member]', { hasText: name });
}

function tombstones(page: Page) {
  return page.locator('.message[data-deleted]');
}

/** What the page read out politely to screen readers last (a role given to its user). */
function announced(page: Page, text: string) {
  return page.locator('[data-announcements]', { hasText: text });
}

function listedRoom(page: Page, room: string) {
  return page.getByTestId('room-directory').locator('li', { hasText: `#${room}` });
}

describe('a private room', () => {
  it('an owner adds Bo, who sees it appear in his lobby, Cy can neither see nor join it; edits and deletions show live; Bo made moderator gets its controls at once; removing Bo takes both of his tabs out', async () => {
    // They meet in a public room: where the owner finds Bo among the people online.
    const ana = await personInRoom('Ana', 'town-square');
    const bo = await personInRoom('Bo', 'town-square');
    const cy = await personInRoom('Cy', 'town-square');
    await members(ana.page).getByText('Cy').waitFor();

    await createRoom(ana.page, 'secret', { private: true });
    await ana.page.locator('.room-header [data-private]', { hasText: 'Private' }).waitFor();
    // Bo waits in the lobby (still in the public room, where the owner finds him): no #secret.
    await toLobby(bo.page);
    await roomCount(bo.page, 'town-square').waitFor();
    expect(await listedRoom(bo.page, 'secret').count()).toBe(0);

    const panel = ana.page.locator('.manage');
    await rosterEntry(ana.page, 'Ana').filter({ hasText: 'owner' }).waitFor();
    await panel.getByLabel('Add someone to #secret').selectOption({ label: 'Bo' });
    await panel.getByRole('button', { name: 'Add', exact: true }).click();
    await panel.getByText('Added Bo to #secret as member.').waitFor();
    await rosterEntry(ana.page, 'Bo').filter({ hasText: 'member' }).waitFor();

    // Without reloading, Bo's lobby lists it, with its lock, and says so to screen readers.
    await listedRoom(bo.page, 'secret').locator('[data-private]').waitFor();
    await announced(bo.page, 'You were added to #secret.').waitFor();

    // Cy's lobby lists the public room but not the private one: a page arrives whole.
    await toLobby(cy.page);
    await roomCount(cy.page, 'town-square').waitFor();
    expect(await roomCount(cy.page, 'secret').count()).toBe(0);
    // At the door, Cy is told why, and sees nothing of the room.
    await cy.page.goto(`${web.url}/w/lobby/secret`);
    await cy.page
      .locator('[data-room-error]', {
        hasText: '#secret is private. Ask one of its moderators to add you.',
      })
      .waitFor();
    expect(await composer(cy.page, 'secret').count()).toBe(0);
    expect(await cy.page.locator('.message').count()).toBe(0);

    // Bo opens it from his lobby; then again in a second tab.
    await listedRoom(bo.page, 'secret').getByRole('link').click();
    await bo.page.getByRole('heading', { name: '#secret' }).waitFor();
    await connected(bo.page);
    const boTab2 = await bo.context.newPage();
    await boTab2.goto(`${web.url}/w/lobby/secret`);
    await boTab2.getByRole('heading', { name: '#secret' }).waitFor();
    await connected(boTab2);
    await members(ana.page).getByText('Bo').waitFor();
    const everyone = [ana.page, bo.page, boTab2];

    // Bo edits his message, by keyboard: everyone sees the new text, marked edited, in place.
    await send(bo.page, 'secret', 'Hello from Bo');
    await bo.page.locator('[data-delivery="sent"]', { hasText: 'Hello from Bo' }).waitFor();
    for (const page of everyone) await message(page, 'Hello from Bo').waitFor();
    const edit = bo.page.getByRole('button', { name: 'Edit message: Hello from Bo' });
    await edit.focus();
    await bo.page.keyboard.press('Enter');
    const editor = bo.page.getByLabel('Edit message', { exact: true });
    expect(await editor.evaluate((element) => element === document.activeElement)).toBe(true);
    await editor.fill('Hello from Bo, edited');
    await editor.press('Enter');
    for (const page of everyone) {
      await page.locator('.message[data-edited]', { hasText: 'Hello from Bo, edited' }).waitFor();
      await page.locator('.message[data-edited] .edited').first().waitFor();
    }
    // Focus is back where the edit started.
    expect(await edit.evaluate((element) => element === document.activeElement)).toBe(true);
    // Nobody else may edit it.
    expect(await ana.page.getByRole('button', { name: /^Edit message/ }).count()).toBe(0);

    // The owner deletes Bo's message: a tombstone takes its place for everyone.
    await send(bo.page, 'secret', 'Something regrettable');
    for (const page of everyone) await message(page, 'Something regrettable').waitFor();
    await ana.page.getByRole('button', { name: 'Delete message: Something regrettable' }).click();
    await ana.page
      .getByRole('group', { name: 'Delete this message?' })
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    for (const page of everyone) {
      await tombstones(page).filter({ hasText: 'Message deleted' }).waitFor();
      expect(await message(page, 'Something regrettable').count()).toBe(0);
      await message(page, 'Hello from Bo, edited').waitFor();
    }
    // Bo's answer to his edit said where the edit sits in the log: his next message found no
    // hole there, so his tab never asked for history to fill one.
    expect(bo.emitted).toContain('message:edit');
    expect(bo.emitted).not.toContain('message:history');

    // The owner makes Bo a moderator: his open room gives him a moderator's controls at once,
    // without joining it again.
    await send(ana.page, 'secret', 'Ana was here');
    await message(bo.page, 'Ana was here').waitFor();
    const deleteAnas = bo.page.getByRole('button', { name: 'Delete message: Ana was here' });
    expect(await deleteAnas.count()).toBe(0);
    const joinsBefore = bo.emitted.filter((event) => event === 'room:join').length;
    const boEntry = rosterEntry(ana.page, 'Bo');
    await boEntry.getByText('Manage').click();
    await boEntry.getByLabel('Role of Bo').selectOption('moderator');
    await boEntry.getByRole('button', { name: 'Change role' }).click();
    await panel.getByText('Bo is now moderator.').waitFor();
    for (const page of [bo.page, boTab2]) {
      await page.getByRole('button', { name: 'Delete message: Ana was here' }).waitFor();
      await page.getByRole('heading', { name: 'Manage members' }).waitFor();
      await announced(page, 'You are now a moderator of #secret.').waitFor();
    }
    expect(bo.emitted.filter((event) => event === 'room:join')).toHaveLength(joinsBefore);

    // Removing Bo: both of his tabs leave at once, say why, and land in the lobby.
    await boEntry.getByRole('button', { name: 'Remove from #secret' }).click();
    for (const page of [bo.page, boTab2]) {
      await page
        .locator('[data-notice="secret"]', { hasText: 'You were removed from #secret.' })
        .waitFor();
      await page.getByRole('heading', { name: 'Rooms in lobby' }).waitFor();
    }
    // The notice has the focus, so a screen reader reads it.
    expect(await boTab2.evaluate(() => document.activeElement?.getAttribute('data-notice'))).toBe(
      'secret',
    );
    await panel.getByText('Removed Bo from #secret.').waitFor();
    await members(ana.page).getByText('Bo').waitFor({ state: 'detached' });
    // No longer a member: the door is shut for him too.
    await bo.page.goto(`${web.url}/w/lobby/secret`);
    await bo.page.locator('[data-room-error]', { hasText: '#secret is private.' }).waitFor();

    for (const person of [ana, bo, cy]) await person.context.close();
  });
});

describe('a read-only room', () => {
  it('says who may post in place of the composer, opens when its owner lifts it, a ban sends you to the lobby saying until when, and adding you back opens the door you wait at', async () => {
    const ana = await personInRoom('Ana', 'plaza');
    const bo = await personInRoom('Bo', 'plaza');
    await createRoom(ana.page, 'news', { readOnly: true });
    await ana.page
      .getByText('#news is read-only: only its moderators and owners post. You can.')
      .waitFor();
    await send(ana.page, 'news', 'Release 2.0 is out');
    await ana.page.locator('[data-delivery="sent"]', { hasText: 'Release 2.0 is out' }).waitFor();

    await toLobby(bo.page);
    await bo.page.getByTestId('room-directory').getByRole('link', { name: /#news/ }).click();
    await message(bo.page, 'Release 2.0 is out').waitFor();
    await bo.page
      .getByTestId('composer-closed')
      .getByText('#news is read-only: only its moderators and owners can post here.')
      .waitFor();
    expect(await composer(bo.page, 'news').count()).toBe(0);

    // The owner lifts it: Bo's composer opens live.
    await ana.page.getByLabel('Read-only: only moderators and owners post').uncheck();
    await ana.page.getByRole('button', { name: 'Save settings' }).click();
    await composer(bo.page, 'news').waitFor();
    await send(bo.page, 'news', 'Congrats!');
    await message(ana.page, 'Congrats!').waitFor();

    // A ban: Bo is told until when, lands in the lobby, and cannot come back.
    const entry = rosterEntry(ana.page, 'Bo');
    await entry.getByText('Manage').click();
    await entry.getByLabel('Ban for').selectOption({ label: '1 hour' });
    await entry.getByRole('button', { name: 'Ban' }).click();
    await bo.page
      .locator('[data-notice="news"]', { hasText: /You were banned from #news until / })
      .waitFor();
    await bo.page.getByRole('heading', { name: 'Rooms in lobby' }).waitFor();
    await bo.page.goto(`${web.url}/w/lobby/news`);
    await bo.page
      .locator('[data-room-error]', { hasText: /^You are banned from #news until .+\.$/ })
      .waitFor();
    expect(await composer(bo.page, 'news').count()).toBe(0);

    // Adding him (by his id: he is online in none of the owner's rooms now) lifts the ban: the
    // door he waits at opens, without a reload.
    const addForm = ana.page.locator('.add-member');
    await addForm
      .getByLabel('Add someone to #news')
      .selectOption({ label: 'Someone else, by user id…' });
    await addForm.getByLabel('User id').fill(await userIdOf(bo.page));
    await addForm.getByRole('button', { name: 'Add', exact: true }).click();
    await announced(bo.page, 'You were added to #news.').waitFor();
    await composer(bo.page, 'news').waitFor();
    await message(bo.page, 'Congrats!').waitFor();

    for (const person of [ana, bo]) await person.context.close();
  });
});
