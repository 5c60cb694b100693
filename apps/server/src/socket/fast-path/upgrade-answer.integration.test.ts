import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../../test/helpers';
import { type NodeProcess, spawnNode } from '../../../test/node-process';
import { engineUpgradeRequest } from '../../../test/raw-http';
import { segmentsSent } from '../../../test/tcp-segments';

const CONNECTIONS = 20;

let node: NodeProcess | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await node?.kill();
  node = undefined;
});

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

/** Segments each of CONNECTIONS websocket handshakes took, opened one after the other. */
async function segmentsPerHandshake(fastPath: boolean): Promise<number[]> {
  node = await spawnNode({
    PARLEY_AUTH_SECRET: TEST_SECRET,
    FAST_PATH: String(fastPath),
    RATE_CONNECTIONS_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
  });
  for (let i = 0; i < CONNECTIONS; i++) await openWebsocket(node.url);
  // Nothing else is sent before the client speaks (the first ping is 25 s away).
  const segments = segmentsSent(Number(new URL(node.url).port)).map(
    (connection) => connection.dataSegmentsOut,
  );
  for (const socket of sockets.splice(0)) socket.destroy();
  await node.kill();
  return segments;
}

describe.runIf(process.platform === 'linux')("a websocket's handshake", () => {
  it('leaves in one segment with the fast path, where Socket.IO alone sends two', async () => {
    // Measured first without it, so the count is known to see both writes: each sent at once
    // (no Nagle on the server's sockets), though the kernel may merge the odd pair.
    const alone = await segmentsPerHandshake(false);
    expect(alone).toHaveLength(CONNECTIONS);
    expect(alone.filter((segments) => segments === 2).length).toBeGreaterThan(CONNECTIONS / 2);

    expect(await segmentsPerHandshake(true)).toEqual(Array(CONNECTIONS).fill(1));
  }, 60_000);
});
