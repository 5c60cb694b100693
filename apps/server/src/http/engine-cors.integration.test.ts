import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../test/helpers';
import { engineUpgradeRequest, rawRequest } from '../../test/raw-http';

const APP = 'http://app.example';
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ CORS_ORIGINS: `${APP},http://other.example:8080` });
});
afterAll(async () => {
  await t?.close();
});

/** Opens a websocket to the engine by hand and answers the head of the server's response. */
function upgradeHead(url: string, origin: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.destroy();
      resolve(text.slice(0, end));
    });
    socket.on('end', () => reject(new Error(`closed before a head: ${text}`)));
    socket.write(engineUpgradeRequest(hostname, { origin }));
  });
}

describe("Socket.IO's long-polling across origins", () => {
  it('lets an allowed origin read the handshake and the session, and no other', async () => {
    const allowed = await fetch(`${t.url}${HANDSHAKE}`, { headers: { origin: APP } });
    const body = await allowed.text();
    expect(allowed.status).toBe(200);
    expect(body.startsWith('0{')).toBe(true);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('vary')).toMatch(/origin/i);

    // The session goes on from that origin: its posts are readable too.
    const { sid } = JSON.parse(body.slice(1)) as { sid: string };
    const post = await fetch(`${t.url}${HANDSHAKE}&sid=${sid}`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'text/plain;charset=UTF-8' },
      body: '1',
    });
    expect(await post.text()).toBe('ok');
    expect(post.headers.get('access-control-allow-origin')).toBe(APP);

    const foreign = await fetch(`${t.url}${HANDSHAKE}`, {
      headers: { origin: 'http://evil.example' },
    });
    await foreign.arrayBuffer();
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight from an allowed origin with what it asked for, and not the engine', async () => {
    const preflight = await fetch(`${t.url}${HANDSHAKE}`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-app-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('x-app-version');

    const foreign = await fetch(`${t.url}${HANDSHAKE}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a websocket upgrade without running CORS on it', async () => {
    const head = await upgradeHead(t.url, APP);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    // What the `cors` middleware of Socket.IO's own option would have added to the 101.
    expect(head.toLowerCase()).not.toContain('access-control-allow-origin');
  });

  it('echoes an origin only when it is exactly one of the allowed, whatever is sent', async () => {
    const near = fc.oneof(
      fc.constantFrom(
        `${APP}/`,
        'HTTP://APP.EXAMPLE',
        `${APP}.evil`,
        'http://other.example',
        'http://other.example:8080/',
        `null`,
        `${APP}, http://evil.example`,
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    await fc.assert(
      fc.asyncProperty(near, fc.constantFrom('GET', 'OPTIONS'), async (origin, method) => {
        // Header values are sent as written: no line breaks, nothing that ends the head.
        const value = origin.replace(/[\r\n\0]/g, '');
        const response = await rawRequest(t.url, {
          method,
          target: HANDSHAKE,
          headers: { origin: value, 'access-control-request-method': 'POST' },
        });
        expect(response.status).toBeLessThan(500);
        const echoed = response.headers['access-control-allow-origin'];
        if (echoed !== undefined)
          expect([APP, 'http://other.example:8080']).toContain(value.trim());
      }),
      { numRuns: 60 },
    );
    // Still serving, the allowed origins as before.
    const again = await fetch(`${t.url}${HANDSHAKE}`, { headers: { origin: APP } });
    await again.arrayBuffer();
    expect(again.headers.get('access-control-allow-origin')).toBe(APP);
  });
});
