import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readFirstBytes } from './handover';

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
});
