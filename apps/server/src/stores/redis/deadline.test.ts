import { once } from 'node:events';
import { type AddressInfo, createServer, connect as openSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { busyFor } from '../../../test/busy';
import { StoreUnavailableError } from '../errors';
import { createDeadline } from './deadline';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A loopback connection: `reply` writes to the client end, whose `data` resolves `answer`. */
async function loopback(): Promise<{ reply(text: string): void; answer: Promise<string> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = openSocket((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [serverSide] = (await accepted) as [import('node:net').Socket];
  closers.push(() => {
    client.destroy();
    serverSide.destroy();
    server.close();
  });
  const answer = once(client, 'data').then(([chunk]) => String(chunk));
  return { reply: (text) => serverSide.write(text), answer };
}

describe('the Redis deadline', () => {
  it('takes a reply that arrived while the loop was busy past the deadline, instead of calling it missed', async () => {
    const missed: string[] = [];
    const deadline = createDeadline(40, (what) => missed.push(what));
    const { reply, answer } = await loopback();
    const call = deadline.within(answer, 'a call');
    // The reply is in the socket's buffer before the deadline; the loop only reads it after.
    reply('OK');
    busyFor(150);
    await expect(call).resolves.toBe('OK');
    expect(missed).toEqual([]);
  });

  it('does not count a turn the node spent on its own work as time Redis had to answer', async () => {
    const missed: string[] = [];
    const deadline = createDeadline(40, (what) => missed.push(what));
    let answer: (reply: string) => void = () => {};
    const call = deadline.within(
      new Promise<string>((resolve) => {
        answer = resolve;
      }),
      'a call',
    );
    // The node's own turn runs past the deadline; Redis, which shares its core, answers soon after
    // the loop is free again — not yet in the socket when the turn ends, so not read in the turn
    // after it either.
    busyFor(150);
    setTimeout(() => answer('OK'), 15);
    await expect(call).resolves.toBe('OK');
    expect(missed).toEqual([]);
  });

  it('still expires a call nobody answers while every turn of the node is long', async () => {
    const missed: string[] = [];
    const deadline = createDeadline(40, (what) => missed.push(what));
    const call = deadline.within(new Promise<string>(() => {}), 'a call');
    let settled = false;
    call
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    let turns = 0;
    while (!settled) {
      busyFor(60);
      turns++;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(missed).toEqual(['a call']);
    // Each long turn counts as at most two of the interval's periods (10 ms here): a few turns.
    expect(turns).toBeLessThanOrEqual(10);
  });

  it('still answers unavailable for a call nobody answers', async () => {
    const missed: string[] = [];
    const deadline = createDeadline(40, (what) => missed.push(what));
    const { answer } = await loopback();
    const started = Date.now();
    await expect(deadline.within(answer, 'a call')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(missed).toEqual(['a call']);
  });

  it('expires calls in the order they started, and keeps the later ones in time', async () => {
    const missed: string[] = [];
    const deadline = createDeadline(40, (what) => missed.push(what));
    const never = new Promise<string>(() => {});
    const first = deadline.within(never, 'first');
    first.catch(() => {});
    busyFor(60);
    const { reply, answer } = await loopback();
    const second = deadline.within(answer, 'second');
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    reply('late but in time');
    await expect(second).resolves.toBe('late but in time');
    expect(missed).toEqual(['first']);
  });

  it("maps a call's failure and tells its duration once, whether it is answered, fails or expires", async () => {
    const deadline = createDeadline(40, () => {});
    const took: string[] = [];
    const watch = (name: string) => ({
      failure: (error: unknown) => new Error(`mapped: ${(error as Error).message}`),
      took: (seconds: number) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        took.push(name);
      },
    });
    await expect(
      deadline.within(Promise.resolve('OK'), 'answered', watch('answered')),
    ).resolves.toBe('OK');
    await expect(
      deadline.within(Promise.reject(new Error('boom')), 'failed', watch('failed')),
    ).rejects.toThrow('mapped: boom');
    let late: (reason: Error) => void = () => {};
    const expiring = deadline.within(
      new Promise<string>((_, reject) => {
        late = reject;
      }),
      'expired',
      watch('expired'),
    );
    // Missing the deadline is `unavailable` as it is, not mapped; a failure after it changes nothing.
    await expect(expiring).rejects.toBeInstanceOf(StoreUnavailableError);
    late(new Error('too late'));
    await deadline.within(Promise.resolve('after'), 'after', watch('after'));
    expect(took).toEqual(['answered', 'failed', 'expired', 'after']);
  });

  it('answers a call whose watch throws, and ignores an answer that comes after the call expired', async () => {
    const deadline = createDeadline(40, () => {});
    const throwing = {
      failure: (): unknown => {
        throw new Error('mapping failed');
      },
      took: () => {
        throw new Error('metric failed');
      },
    };
    await expect(deadline.within(Promise.resolve('OK'), 'answered', throwing)).resolves.toBe('OK');
    await expect(
      deadline.within(Promise.reject(new Error('boom')), 'failed', throwing),
    ).rejects.toThrow('boom');
    let late: (value: string) => void = () => {};
    const expiring = deadline.within(
      new Promise<string>((resolve) => {
        late = resolve;
      }),
      'expired',
      throwing,
    );
    await expect(expiring).rejects.toBeInstanceOf(StoreUnavailableError);
    late('too late');
    await expect(deadline.within(Promise.resolve('after'), 'after', throwing)).resolves.toBe(
      'after',
    );
  });
});
