import cluster from 'node:cluster';
import { Socket } from 'node:net';
import type { ParleyServer } from '../server';
import { handedOverConnections } from './accept';
import { isPrimaryMessage, type ReadyMessage } from './messages';
import { sessionIdFor } from './session-route';

/**
 * A cluster worker's side: the server takes the connections its primary hands over instead of
 * listening, and makes session ids that name this worker (session-route.ts), so the primary can
 * send the rest of each long-polling session here. Resolves once the primary may send some.
 */
export async function serveForPrimary(
  server: ParleyServer,
  shutdown: (why: Record<string, unknown>) => void,
): Promise<void> {
  const worker = cluster.worker;
  if (!worker) throw new Error('serveForPrimary: this process is not a cluster worker');

  server.io.engine.generateId = () => sessionIdFor(worker.id);
  // The primary routes a connection by its first request only. An HTTP keep-alive connection
  // may carry another session's request next (browsers and proxies pool connections across
  // sessions), which this worker would answer "Session ID unknown": one request per connection,
  // so every request is routed. Upgrades (websockets) keep their connection: no `request` event.
  server.httpServer.prependListener('request', (_request, response) => {
    response.setHeader('Connection', 'close');
  });

  const accept = handedOverConnections(server.httpServer);
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isPrimaryMessage(message)) return;
    switch (message.type) {
      case 'parley:connection':
        if (handle instanceof Socket) accept(handle, Buffer.from(message.head, 'base64'));
        return;
      case 'parley:shutdown':
        shutdown({ reason: 'the primary asked' });
        return;
      default:
        message satisfies never;
    }
  });
  // The primary is gone (killed): nobody routes connections here any more.
  worker.on('disconnect', () => shutdown({ reason: 'the primary is gone' }));

  await server.start();
  process.send?.({ type: 'parley:ready' } satisfies ReadyMessage);
}
