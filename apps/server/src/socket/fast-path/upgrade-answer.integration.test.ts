import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../../test/helpers';
import { type NodeProcess, spawnNode } from '../../../test/node-process';
import { engineUpgradeRequest } from '../../../test/raw-http';

// Enough that a stray write (a log line) cannot tip the average.
const CONNECTIONS = 50;

let node: NodeProcess | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await node?.kill();
  node = undefined;
});

/** The write system calls a process has made so far (`syscw`: write, writev, sendmsg…). */
function writeCalls(pid: number): number {
  return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

/** Opens a websocket to the engine by hand; resolves once the `101` and the open packet came. */
function openWebsocket(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const head = received.indexOf('\r\n\r\n');
      // The open packet: a text frame whose payload starts with engine.io's `0{`.
      if (head !== -1 && received.includes('0{"sid"', head)) resolve();
    });
    socket.write(engineUpgradeRequest(hostname));
  });
}

/** Write calls the node made for CONNECTIONS websockets opened one after the other. */
async function writesPerHandshake(fastPath: boolean): Promise<number> {
  node = await spawnNode({
    PARLEY_AUTH_SECRET: TEST_SECRET,
    FAST_PATH: String(fastPath),
    RATE_CONNECTIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
  });
  const pid = node.child.pid as number;
  await openWebsocket(node.url);
  const before = writeCalls(pid);
  for (let i = 0; i < CONNECTIONS; i++) await openWebsocket(node.url);
  return (writeCalls(pid) - before) / CONNECTIONS;
}

describe.runIf(process.platform === 'linux')("a websocket's handshake", () => {
  it('leaves in one write with the fast path, where Socket.IO alone makes two', async () => {
    // Measured first without it, so the count is known to see both writes.
    expect(await writesPerHandshake(false)).toBeGreaterThanOrEqual(2);
    await node?.kill();
    expect(await writesPerHandshake(true)).toBeLessThan(1.5);
  }, 60_000);
});
