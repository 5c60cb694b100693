import type { ServerEventName, ServerPayloadOf } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';

export type ServerEventHandlers = {
  [E in ServerEventName]: (payload: ServerPayloadOf<E>) => void;
};

/**
 * Subscribes a table of handlers and answers the unsubscription. The client's table has one for
 * every server event (its type fails to compile when one is missing); an app's has the few it
 * needs.
 */
export function listen(socket: ChatSocket, handlers: Partial<ServerEventHandlers>): () => void {
  // socket.io-client's typed `on` cannot follow a name taken from a loop; the table's type
  // already pairs every event with a handler of its payload.
  const emitter = socket as unknown as {
    on(event: string, handler: (payload: never) => void): void;
    off(event: string, handler: (payload: never) => void): void;
  };
  const entries = Object.entries(handlers);
  for (const [event, handler] of entries) emitter.on(event, handler);
  return () => {
    for (const [event, handler] of entries) emitter.off(event, handler);
  };
}
