import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWritesPerTurn, writesTogether } from './write-batching';

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

describe('writesTogether', () => {
  it("holds every batched socket's writes from the first until the outermost block ends, then sends each in one flush", async () => {
    const a = await socketPair();
    const b = await socketPair();
    const plain = await socketPair(); // not batched (a long-polling socket, the fast path off)
    batchWritesPerTurn(a.writer);
    batchWritesPerTurn(b.writer);

    const answer = writesTogether(() => {
      a.writer.write('presence');
      b.writer.write('presence');
      plain.writer.write('x');
      writesTogether(() => {
        a.writer.write('+figures');
      });
      // An inner block's end releases nothing: the update is not complete yet.
      expect(a.writer.writableLength).toBe(16);
      b.writer.write('+figures');
      expect(plain.writer.writableCorked).toBe(0);
      return 'sent';
    });
    expect(answer).toBe('sent');

    // Released as the block ended, within the turn: nothing waits for its end.
    for (const { writer } of [a, b]) {
      expect(writer.writableCorked).toBe(0);
      expect(writer.writableLength).toBe(0);
    }
    // They flushed in this turn: a later write in it waits for the end of the turn, as usual.
    a.writer.write('!');
    expect(a.writer.writableCorked).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.writer.writableCorked).toBe(0);

    const received: string[] = [];
    a.reader.on('data', (chunk) => received.push(String(chunk)));
    await expect.poll(() => received.join('')).toBe('presence+figures!');
  });

  it('releases what it held when the block throws', async () => {
    const { writer } = await socketPair();
    batchWritesPerTurn(writer);
    expect(() =>
      writesTogether(() => {
        writer.write('half');
        throw new Error('broken');
      }),
    ).toThrow('broken');
    expect(writer.writableCorked).toBe(0);
  });

  it('releases every other socket when releasing one throws, and throws after', async () => {
    const broken = await socketPair();
    const healthy = await socketPair();
    batchWritesPerTurn(broken.writer);
    batchWritesPerTurn(healthy.writer);
    // Its flush throws (a stand-in for any synchronous failure while uncorking).
    const sabotaged = broken.writer as unknown as { _writev: () => never; _write: () => never };
    sabotaged._writev = sabotaged._write = () => {
      throw new Error('broken socket');
    };
    expect(() =>
      writesTogether(() => {
        broken.writer.write('a');
        healthy.writer.write('b');
      }),
    ).toThrow('broken socket');
    expect(healthy.writer.writableCorked).toBe(0);
    const received: string[] = [];
    healthy.reader.on('data', (chunk) => received.push(String(chunk)));
    await expect.poll(() => received.join('')).toBe('b');
  });

  it('leaves a socket that is held to the end of the turn held until then', async () => {
    const { writer } = await socketPair();
    batchWritesPerTurn(writer);
    writer.write('first'); // out at once
    writer.write('second'); // held to the end of the turn
    writesTogether(() => writer.write('third'));
    expect(writer.writableCorked).toBe(1);
    expect(writer.writableLength).toBe(11);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.writableCorked).toBe(0);
  });
});
