import type { Server } from 'node:http';
import { applyCors, type CorsPolicy } from './cors';
import { ENGINE_PATH } from './engine-path';
import { beforeRequests } from './wrap-listeners';

/**
 * CORS for Socket.IO's HTTP long-polling requests, answered before engine.io sees them: the
 * allowed origins (`CORS_ORIGINS`) may read its answers, and a preflight is answered 204 here.
 *
 * Not Socket.IO's own `cors` option: that installs the `cors` package as an engine.io
 * middleware, and engine.io runs every request with a middleware through a promise chain —
 * every websocket upgrade too, which CORS does not apply to (a browser sends no preflight for a
 * websocket and reads no CORS header on its `101`; the connection gate checks its `Origin`).
 * Without middlewares, an upgrade is answered in the turn that read it, as in bare Socket.IO.
 *
 * Called after Socket.IO is attached: it wraps the request listeners Socket.IO installed.
 */
export function answerEngineCors(httpServer: Server, origins: readonly string[]): void {
  const policy: CorsPolicy = {
    origins: new Set(origins),
    methods: 'GET, POST, OPTIONS',
  };
  beforeRequests(httpServer, (req, res) => {
    if (!req.url?.startsWith(ENGINE_PATH)) return false;
    applyCors(req, res, policy);
    if (req.method !== 'OPTIONS') return false;
    res.writeHead(204, { 'content-length': '0' }).end();
    return true;
  });
}
