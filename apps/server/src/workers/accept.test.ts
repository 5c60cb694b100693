import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handedOverConnections } from './accept';

/**
 * A worker's HTTP server never listens: its connections are handed over (here by an in-process
 * front standing in for the primary). Node's own headersTimeout and requestTimeout checks only
 * run for a listening server's connections; these prove a worker keeps them anyway.
 */
const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;

let front: Server | undefined;
let http: HttpServer | undefined;
afterEach(() => {
  front?.close();
  http?.closeAllConnections();
});

async function workerLike(): Promise<number> {
  http = createHttpServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  http.on('request', (request, response) => {
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  // An upgraded connection echoes what it is sent: a websocket, as far as the deadlines go.
  http.on('upgrade', (_request, socket: Socket) => {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    );
    socket.on('data', (chunk) => socket.write(chunk));
  });
  const accept = handedOverConnections(http);
  front = createServer({ pauseOnConnect: true }, (socket) => accept(socket, Buffer.alloc(0)));
  await new Promise<void>((resolve) => front?.listen(0, '127.0.0.1', resolve));
  const address = front.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return address.port;
}

/** A client that sends `bytes`; resolves with all it received once the server closed it. */
async function client(port: number, bytes: string) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.write(bytes);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, closed, received: () => received };
}

describe('a worker’s handed-over connections', () => {
  it('answers 408 and closes a connection whose request head never completes (slowloris)', async () => {
    const port = await workerLike();
    const slow = await client(
      port,
      'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n',
    );
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('closes a request whose body does not arrive within requestTimeout; answers a whole one', async () => {
    const port = await workerLike();
    const whole = await client(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
    );
    const slowBody = await client(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhi',
    );
    expect(await whole.closed).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    // Closed without an answer: the head was in, the rest never came.
    expect(await slowBody.closed).toBe('');
  });

  it('leaves an upgraded connection alone past both deadlines', async () => {
    const port = await workerLike();
    const upgraded = await client(
      port,
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    );
    await expect.poll(upgraded.received).toMatch(/^HTTP\/1\.1 101 /);
    // Opened after the upgrade, so its deadlines end after the upgraded connection's would.
    const slowBody = await client(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhi',
    );
    await slowBody.closed;
    upgraded.socket.write('still here');
    await expect.poll(upgraded.received).toContain('still here');
    expect(upgraded.socket.destroyed).toBe(false);
    upgraded.socket.destroy();
  });
});
