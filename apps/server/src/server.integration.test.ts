import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { request } from '@parley/protocol/client';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  connected,
  nextEvent,
  openClient,
  startServer,
  type TestServer,
  testConfig,
} from '../test/helpers';
import { RawSocketIoClient } from '../test/raw-socketio';
import { createTokenService } from './auth/tokens';
import { DEVELOPMENT_AUTH_SECRET } from './config';
import { createParleyServer } from './server';
import { createMemoryStores } from './stores/memory';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('health', () => {
  it('answers /healthz and /readyz while serving, and stops listening once closed', async () => {
    const t = await startServer();
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    await t.server.close();
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
  });

  it('answers /readyz 503 while a backing store is unreachable, and /healthz still 200', async () => {
    const config = testConfig();
    const stores = createMemoryStores(config.limits);
    let reachable = false;
    stores.ready = async () => reachable;
    const server = createParleyServer(config, { stores });
    const url = await server.listen();
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      reachable = true;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers 404 with a typed error for unknown paths and 405 for wrong methods', async () => {
    const t = await startServer();
    servers.push(t);
    const missing = await fetch(`${t.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrongMethod = await fetch(`${t.url}/api/v1/session`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('unexpected errors', () => {
  it('answer internal without details, are logged, and the node keeps serving', async () => {
    const config = testConfig({ LOG_LEVEL: 'error' });
    const lines: string[] = [];
    const logger = pino(
      { level: 'error' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const stores = createMemoryStores(config.limits);
    const append = stores.history.append.bind(stores.history);
    stores.history.append = async (ref, draft) => {
      if (draft.text === 'explode') throw new Error('disk on fire at /var/secret/path');
      return append(ref, draft);
    };
    const server = createParleyServer(config, { logger, stores });
    const url = await server.listen();
    const token = (
      await createTokenService(config.auth.secret).issue({ name: 'Ana', ttlSeconds: 60 })
    ).token;
    const socket = openClient(url, 'acme', token);
    try {
      await connected(socket);
      await call(socket, 'room:join', { room: 'general' });
      const failed = await request(socket, 'message:send', {
        room: 'general',
        text: 'explode',
        clientMsgId: 'a',
      });
      expect(failed).toEqual({
        ok: false,
        error: { code: 'internal', message: 'unexpected server error; it was logged' },
      });
      expect(lines.join('')).toContain('disk on fire');
      const fine = await call(socket, 'message:send', {
        room: 'general',
        text: 'fine',
        clientMsgId: 'b',
      });
      expect(fine.message.seq).toBe(1);
    } finally {
      socket.close();
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('tells clients, clears presence, and the clients see a transport close (so they reconnect)', async () => {
    const t = await startServer();
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, 'room:join', { room: 'general' });
    const told = nextEvent(ana, 'server:shutdown');
    const disconnected = new Promise<string>((resolve) => ana.once('disconnect', resolve));
    await t.server.close();
    expect(await told).toEqual({ message: 'server is shutting down' });
    expect(await disconnected).toBe('transport close');
  });

  it('does not wait for a client that never answers the close of its connection', async () => {
    const t = await startServer();
    const stalled = await RawSocketIoClient.connect(t.url, 'acme', await t.token('Stalled'));
    await stalled.request('room:join', { room: 'general' });
    const ana = await t.connect('acme', await t.token('Ana'));
    const disconnected = new Promise<string>((resolve) => ana.once('disconnect', resolve));
    // It stops reading: it never sees, let alone answers, the close of its connection (the
    // server would wait up to its WebSocket close timeout, 30 s, for that answer).
    stalled.pause();
    const started = Date.now();
    await t.server.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await disconnected).toBe('transport close');
    stalled.close();
  });

  it('exits 0 on SIGTERM within the deadline, with JSON logs', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never listened: ${output}`)), 10_000);
      child.stdout.on('data', () => {
        const match = /"port":(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    // No PARLEY_AUTH_SECRET: the child runs on the development secret and must say so.
    expect(output).toContain('PARLEY_AUTH_SECRET is not set');
    const tokens = createTokenService(DEVELOPMENT_AUTH_SECRET);
    const client = openClient(
      `http://127.0.0.1:${port}`,
      'acme',
      (await tokens.issue({ name: 'A', ttlSeconds: 60 })).token,
    );
    await connected(client);
    await call(client, 'room:join', { room: 'general' });
    const told = nextEvent(client, 'server:shutdown');
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    await told;
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    client.close();
    const logs = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['parley listening', 'shut down']),
    );
    // The start says what it took, as the stop does: from the process's start, and each step.
    const listening = logs.find((l) => l.msg === 'parley listening') as unknown as {
      sinceProcessStartMs: number;
      took: Record<string, number>;
    };
    expect(listening.sinceProcessStartMs).toBeGreaterThan(0);
    expect(Object.keys(listening.took)).toEqual(['storesMs', 'reportMs', 'metricsMs']);
    expect(listening.sinceProcessStartMs).toBeGreaterThanOrEqual(
      Object.values(listening.took).reduce((total, ms) => total + ms, 0),
    );
  });

  it('refuses to start on bad configuration, listing every problem, exit code 1', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, NODE_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('LOG_LEVEL');
  });
});
