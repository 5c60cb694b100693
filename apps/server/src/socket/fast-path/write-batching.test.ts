import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWritesPerTurn } from './write-batching';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

async function socketPair(): Promise<{ writer: Socket; reader: Socket }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const writer = connect(port, '127.0.0.1');
  await once(writer, 'connect');
  const [reader] = await accepted;
  cleanup.push(() => {
    writer.destroy();
    reader.destroy();
    server.close();
  });
  return { writer, reader };
}

describe('batchWritesPerTurn', () => {
  it('sends the first write of a turn at once, holds the rest, and holds from the first while a burst lasts', async () => {
    const { writer, reader } = await socketPair();
    batchWritesPerTurn(writer);
    const received: string[] = [];
    reader.on('data', (chunk) => received.push(String(chunk)));

    writer.write('a');
    expect(writer.writableCorked).toBe(0); // a lone write is not delayed
    writer.write('b');
    writer.write('c');
    expect(writer.writableCorked).toBe(1);
    expect(writer.writableLength).toBe(2); // b and c wait for the end of the turn

    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.writableCorked).toBe(0);
    await expect.poll(() => received.join('')).toBe('abc');

    // That turn had three frames: the burst goes on, so the next turn holds from its first write.
    writer.write('d');
    expect(writer.writableLength).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    await expect.poll(() => received.join('')).toBe('abcd');

    // One frame in that turn: the burst is over, and a lone write goes out at once again.
    writer.write('e');
    expect(writer.writableCorked).toBe(0);
    expect(writer.writableLength).toBe(0);
    await expect.poll(() => received.join('')).toBe('abcde');
  });

  it('lets the first frame of a turn go out whole when the writer corks around it, as ws does', async () => {
    const { writer, reader } = await socketPair();
    batchWritesPerTurn(writer);
    const received: string[] = [];
    reader.on('data', (chunk) => received.push(String(chunk)));
    const frame = (header: string, payload: string) => {
      writer.cork();
      writer.write(header);
      writer.write(payload);
      writer.uncork();
    };

    frame('H1', 'p1');
    expect(writer.writableCorked).toBe(0); // not held back to the end of the turn
    expect(writer.writableLength).toBe(0);
    frame('H2', 'p2');
    frame('H3', 'p3');
    expect(writer.writableLength).toBe(8); // the turn's later frames wait, together

    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.writableCorked).toBe(0);
    await expect.poll(() => received.join('')).toBe('H1p1H2p2H3p3');
  });
});
