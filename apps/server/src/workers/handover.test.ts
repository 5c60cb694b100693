import { fork } from 'node:child_process';
import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handOver, readFirstBytes } from './handover';

/**
 * A child process that takes sockets as a worker does (over the IPC channel), tells what hangs
 * on each one's `close`, answers the bytes it was handed back to the client, then closes it.
 */
const CHILD = `
process.on('message', (message, socket) => {
  if (!socket) return;
  process.send({ closeListeners: socket.listenerCount('close') });
  socket.end('got ' + Buffer.from(message.head, 'base64').toString());
});
`;

describe('handing a connection over', () => {
  it("stops reading with the socket handle's readStop: Node's private call is still there", async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer({ pauseOnConnect: true }, (socket) => {
        server.close();
        resolve(socket);
      });
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address !== 'object' || !address) return;
        const client = connect(address.port, '127.0.0.1', () => {
          client.write('GET /socket.io/?EIO=4&transport=polling&sid=3.abc HTTP/1.1\r\nHost: x\r\n');
          client.end();
        });
      });
    });
    const socket = await accepted;
    // The one private part the primary uses (handover.ts): a Node that renamed it would leave a
    // window where bytes after the request line are read by the primary, and lost.
    const handle = (socket as unknown as { _handle?: { readStop?: unknown } })._handle;
    expect(typeof handle?.readStop).toBe('function');
    const first = await readFirstBytes(socket, 5000);
    expect(first?.workerId).toBe(3);
    expect(first?.head.toString()).toMatch(/^GET \/socket\.io\/\?EIO=4/);
    socket.destroy();
  });

  it("hands a socket over untracked: the worker keeps nothing of Node's count on it, the primary gives its own back, and the connection works", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-handover-'));
    const file = join(dir, 'child.cjs');
    writeFileSync(file, CHILD);
    const child = fork(file, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      void readFirstBytes(socket, 5000).then((first) => {
        if (first) handOver(child as unknown as Worker, socket, first.head);
      });
    });
    try {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no address');
      const reports: { closeListeners: number }[] = [];

      for (let round = 0; round < 3; round++) {
        // The child's report comes over IPC, not in order with the TCP bytes: awaited apart.
        const reported = once(child, 'message');
        const client = connect(address.port, '127.0.0.1');
        client.write(`GET /socket.io/?EIO=4&transport=websocket&n=${round} HTTP/1.1\r\n`);
        let answer = '';
        client.on('data', (chunk) => {
          answer += chunk;
        });
        await once(client, 'end');
        client.destroy();
        reports.push((await reported)[0] as { closeListeners: number });
        // The worker served it with what the primary had read …
        expect(answer).toBe(
          `got GET /socket.io/?EIO=4&transport=websocket&n=${round} HTTP/1.1\r\n`,
        );
      }
      // … with no listener of Node's connection count on it (one per socket, with it tracked) …
      expect(reports).toEqual([
        { closeListeners: 0 },
        { closeListeners: 0 },
        { closeListeners: 0 },
      ]);
      // … and the primary counts none of them as its own any more (the count asks no worker).
      const open = await new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
      expect(open).toBe(0);
    } finally {
      server.close();
      child.kill();
    }
  });
});
