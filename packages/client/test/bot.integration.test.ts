import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index';
import { joined, person, room, sees, textsIn, WORKSPACE, waitFor } from './people';
import { type ParleyServer, startServer, stopProcess } from './server';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const BOT = fileURLToPath(new URL('../../../examples/bot/bot.ts', import.meta.url));

let server: ParleyServer;
let bot: ChildProcess | undefined;
let ana: ParleyClient | undefined;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  ana?.dispose();
  if (bot) await stopProcess(bot);
  await server?.stop();
});

/** Runs examples/bot as its README says (TypeScript through tsx) and waits for it to be in. */
function startBot(roomName: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', BOT], {
    cwd: PACKAGE_DIR,
    env: {
      ...process.env,
      PARLEY_URL: server.url,
      PARLEY_WORKSPACE: WORKSPACE,
      PARLEY_ROOM: roomName,
      BOT_NAME: 'Ping bot',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the bot did not start:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('ready:')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited with ${code}:\n${output}`));
    });
  });
}

describe('examples/bot', () => {
  it('answers "ping" with "pong", and nothing else', async () => {
    bot = await startBot('bots');
    ana = await person(server.url, 'Ana');
    ana.open('bots');
    await joined(ana, 'bots');
    await waitFor(ana, 'the bot present', (s) =>
      (s.rooms.bots?.members ?? []).some((m) => m.name === 'Ping bot'),
    );

    ana.send('bots', 'hello bot');
    await sees(ana, 'bots', 'hello bot');
    ana.send('bots', 'PING?');
    const pinged = await sees(ana, 'bots', 'PING?');
    const pingSeq = pinged.rooms.bots?.timeline.messages.find((m) => m.text === 'PING?')?.seq ?? 0;
    await waitFor(ana, 'a pong after the ping', (s) =>
      (s.rooms.bots?.timeline.messages ?? []).some(
        (m) => m.text === 'pong' && m.author.name === 'Ping bot' && (m.seq ?? 0) > pingSeq,
      ),
    );
    expect(textsIn(ana, 'bots')).toEqual(['hello bot', 'PING?', 'pong']);
    expect(room(ana, 'bots')?.timeline.messages.at(-1)?.author.name).toBe('Ping bot');
  });
});
