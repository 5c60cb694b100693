/**
 * A TCP proxy between a client and the server, to take the network away and give it back: cut
 * (every connection dropped, new ones refused), blackhole (bytes from the server are swallowed:
 * requests arrive, answers never do), restore.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** One connection a client made through the proxy: when it came, and when it ended. */
export interface ProxiedConnection {
  openedAt: number;
  closedAt?: number;
  /** The mode the proxy was in when it came. */
  mode: 'open' | 'cut' | 'blackhole';
}

export interface NetworkProxy {
  url: string;
  /** Every connection clients made through it, in the order they came. */
  connections: ProxiedConnection[];
  /** Resolves with the first `count` connections made in `mode` once each of them has ended. */
  ended(mode: ProxiedConnection['mode'], count: number): Promise<ProxiedConnection[]>;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<NetworkProxy> {
  const { hostname, port } = new URL(target);
  let mode: 'open' | 'cut' | 'blackhole' = 'open';
  const pairs = new Set<[Socket, Socket]>();
  const connections: ProxiedConnection[] = [];
  const waiters = new Set<() => boolean>();

  const server: Server = createServer((client) => {
    const connection: ProxiedConnection = { openedAt: performance.now(), mode };
    connections.push(connection);
    client.once('close', () => {
      connection.closedAt = performance.now();
      for (const waiter of waiters) if (waiter()) waiters.delete(waiter);
    });
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (mode === 'open') client.write(chunk);
    });
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no proxy port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    connections,
    ended(wanted, count) {
      return new Promise((resolve) => {
        const check = () => {
          const made = connections.filter((connection) => connection.mode === wanted);
          const first = made.slice(0, count);
          if (first.length < count || first.some((c) => c.closedAt === undefined)) return false;
          resolve(first);
          return true;
        };
        if (!check()) waiters.add(check);
      });
    },
    cut() {
      mode = 'cut';
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    blackhole() {
      mode = 'blackhole';
    },
    restore() {
      mode = 'open';
    },
    close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
