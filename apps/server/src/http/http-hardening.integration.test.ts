import { once } from 'node:events';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer, testConfig } from '../../test/helpers';
import { capturingLogger } from '../../test/logs';
import { rawRequest } from '../../test/raw-http';
import { createParleyServer } from '../server';

const KEY = 'hardening-key-0123456789abcdefgh';
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Log lines at `error` or worse, as JSON. */
function capturingServer() {
  const { logger, lines } = capturingLogger();
  const config = testConfig({ PARLEY_API_KEYS: `backend:${KEY}` });
  const unexpected: unknown[] = [];
  const server = createParleyServer(config, {
    logger,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  return { server, errors: () => lines.filter((line) => line.level >= 50), unexpected };
}

describe('request targets', () => {
  it.each(['//[', '//a:99999/x', '/\\[', '//%zz', '//@', '//:', '/api/v1/%zz', '*'])(
    'answers %s with 400 and a typed error, and the node keeps serving',
    async (target) => {
      t = await startServer();
      const response = await rawRequest(t.url, { target });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        error: { code: 'invalid_payload', message: 'bad request target' },
      });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    },
  );

  it('answers every request target with a status below 500, on every entry point, and stays up', async () => {
    t = await startServer({ PARLEY_API_KEYS: `backend:${KEY}` });
    const url = t.url;
    const piece = fc.oneof(
      fc.constantFrom(
        '/',
        '//',
        '[',
        ']',
        '%',
        '%zz',
        '%ff',
        '%2f',
        '@',
        ':',
        '\\',
        '?',
        '.',
        '..',
        '#',
        '%00',
        '~',
        'é',
        '\u0000',
        ' ',
      ),
      fc.stringMatching(/^[a-z0-9_-]{0,6}$/),
      fc.string({ unit: 'binary-ascii', maxLength: 4 }),
    );
    const target = fc.tuple(
      fc.constantFrom(
        '',
        '/',
        '//',
        '/api/v1/workspaces/',
        '/api/v1/workspaces/acme/rooms/',
        '/socket.io/?EIO=4&transport=polling&',
        '/healthz',
        'http://x',
        'http://[',
        '/api/v1/session?',
      ),
      fc.array(piece, { maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(target, fc.boolean(), async ([start, pieces], withKey) => {
        const response = await rawRequest(url, {
          target: `${start}${pieces.join('')}` || '/',
          headers: withKey ? { authorization: `Bearer ${KEY}` } : {},
        }).catch(() => ({ status: 0 })); // Node's own parser may hang up on bytes it refuses
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 20261201 },
    );
    // Websocket upgrades go to the engine's own entry point.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/socket.io/', '/socket.io/?', '/socket.io/?EIO=4&transport=websocket&'),
        fc.array(piece, { maxLength: 4 }),
        async (start, pieces) => {
          const response = await rawRequest(url, {
            target: `${start}${pieces.join('')}`,
            headers: {
              connection: 'Upgrade',
              upgrade: 'websocket',
              'sec-websocket-version': '13',
              'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            },
            timeoutMs: 500,
          }).catch(() => ({ status: 0 }));
          expect(Number.isNaN(response.status) || response.status < 500).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261201 },
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // `t.close()` also fails if the last-resort guard caught anything on the way.
  }, 40_000);

  it('answers a path name that is not UTF-8 with 400, logging nothing', async () => {
    const { server, errors, unexpected } = capturingServer();
    const url = await server.listen();
    try {
      for (const path of ['/workspaces/%ff/rooms', '/workspaces/acme/rooms/%c3%28/members']) {
        const response = await fetch(`${url}/api/v1${path}`, {
          headers: { authorization: `Bearer ${KEY}` },
        });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: { code: 'invalid_payload' } });
      }
      expect(errors()).toEqual([]);
      expect(unexpected).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('lets a client abort a request body without an error in the logs', async () => {
    const { server, errors, unexpected } = capturingServer();
    const url = await server.listen();
    const closed: Promise<unknown>[] = [];
    server.httpServer.on('request', (_req, res) => closed.push(once(res, 'close')));
    try {
      for (const path of ['/api/v1/session', '/api/v1/workspaces/acme/rooms/general/messages']) {
        const { port } = new URL(url);
        const socket = connect(Number(port), '127.0.0.1');
        await once(socket, 'connect');
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"name":`,
        );
        while (closed.length === 0) await new Promise((resolve) => setImmediate(resolve));
        socket.destroy();
        await closed.splice(0)[0];
      }
      // One more round trip: whatever the aborts set off has run by its answer.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(errors()).toEqual([]);
      expect(unexpected).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
