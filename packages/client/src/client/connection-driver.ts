import { ERROR_CODES, ErrorCode, errorBody } from '@parley/protocol';
import type { ChatSocket } from '@parley/protocol/client';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import {
  CONNECT_TIMEOUT_MAX_MS,
  CONNECT_TIMEOUT_MS,
  type ConnectionEffect,
  type ConnectionEvent,
  connectionStep,
  connectTimeout,
  retryDelay,
} from '../connection';
import { SessionError, type SessionSource } from '../session';
import type { SnapshotStore } from './snapshot-store';

interface WindowEvents {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface ConnectionDriver {
  /** Feeds an event to the connection machine (connection.ts) and carries out its effects. */
  step(event: ConnectionEvent): void;
  connect(): void;
  disconnect(): void;
  /** Stops listening to the socket and the browser, and drops the pending retry. */
  dispose(): void;
}

/**
 * Drives the pure connection machine from what the socket and the browser report (connect,
 * disconnect, connect_error, online, offline), and does what it decides: connect, reconnect now,
 * retry later, renew the session's token. What a (re)connection means for the rooms and the room
 * list is the caller's, through `onConnected`, `forgetConnection` and `onDisconnected`.
 */
export function createConnectionDriver(deps: {
  store: SnapshotStore;
  socket: ChatSocket;
  session: SessionSource;
  socketOptions: Partial<ManagerOptions & SocketOptions> | undefined;
  /** The longest a connection attempt waits for its handshake after others timed out. */
  connectTimeoutMaxMs?: number;
  /** After the machine heard of a connection. */
  onConnected: () => void;
  /** Before the machine hears of a lost connection: what was asked on it is forgotten first. */
  forgetConnection: () => void;
  /** After the machine heard of a lost connection. */
  onDisconnected: () => void;
}): ConnectionDriver {
  const { store, socket, session, socketOptions } = deps;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryAttempt = 0;
  // Socket.IO's own `timeout` is the first attempt's; `false` (none) stays none.
  const baseTimeout = socketOptions?.timeout ?? CONNECT_TIMEOUT_MS;

  function step(event: ConnectionEvent): void {
    const current = store.get().connection;
    const { state, effects } = connectionStep(current, event);
    if (state !== current) store.set({ connection: state });
    if (state.timedOut !== current.timedOut && typeof baseTimeout === 'number') {
      // The Manager reads its timeout at each attempt: the next one waits this long.
      socket.io.timeout(
        connectTimeout(state.timedOut, {
          baseMs: baseTimeout,
          maxMs: deps.connectTimeoutMaxMs ?? CONNECT_TIMEOUT_MAX_MS,
        }),
      );
    }
    for (const effect of effects) carryOut(effect);
  }

  function carryOut(effect: ConnectionEffect): void {
    if (store.isDisposed()) return;
    switch (effect) {
      case 'connect':
        socket.connect();
        return;
      case 'reconnectNow':
        // Dropping the socket's pending retry and connecting now, rather than when it fires.
        clearTimeout(retryTimer);
        if (socket.active) socket.disconnect();
        socket.connect();
        return;
      case 'retryLater':
        clearTimeout(retryTimer);
        retryTimer = setTimeout(
          () => {
            if (!store.isDisposed() && !store.get().connection.closed && !socket.connected) {
              socket.connect();
            }
          },
          retryDelay(retryAttempt++, {
            minMs: socketOptions?.reconnectionDelay ?? 1000,
            maxMs: socketOptions?.reconnectionDelayMax ?? 5000,
            randomization: socketOptions?.randomizationFactor ?? 0.5,
          }),
        );
        return;
      case 'renew':
        void renew();
        return;
    }
  }

  async function renew(): Promise<void> {
    if (!session.renew) return step({ type: 'renewFailed', error: null });
    try {
      await session.renew();
    } catch (error) {
      if (!store.isDisposed()) {
        step({ type: 'renewFailed', error: error instanceof SessionError ? error.error : null });
      }
      return;
    }
    if (store.isDisposed()) return;
    // A renewed guest session may be a new user.
    store.set({ me: session.me() });
    step({ type: 'renewed' });
  }

  const onConnect = (): void => {
    retryAttempt = 0;
    clearTimeout(retryTimer);
    step({ type: 'connected' });
    deps.onConnected();
  };

  const onDisconnect = (reason: string): void => {
    deps.forgetConnection();
    step({ type: 'disconnected', reason });
    deps.onDisconnected();
  };

  const onConnectError = (error: Error & { data?: { code?: unknown } }): void => {
    const code = error.data?.code;
    const refusedByServer = (ERROR_CODES as readonly unknown[]).includes(code);
    step({
      type: 'connectError',
      error: errorBody(
        refusedByServer ? (code as ErrorCode) : ErrorCode.Unavailable,
        error.message,
      ),
      refusedByServer,
      active: socket.active,
      // socket.io-client's Manager gives up on an attempt with no handshake with this message.
      timedOut: !refusedByServer && error.message === 'timeout',
    });
  };

  const onOnline = (): void => step({ type: 'online', connected: socket.connected });
  const onOffline = (): void => step({ type: 'offline' });

  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  // Browsers say when the network comes back: reconnect then rather than at the next retry.
  // (Node has no such events: `globalThis.addEventListener` is not there.)
  const scope = globalThis as Partial<WindowEvents>;
  const windowEvents: WindowEvents | undefined =
    typeof scope.addEventListener === 'function' && typeof scope.removeEventListener === 'function'
      ? {
          addEventListener: scope.addEventListener.bind(globalThis),
          removeEventListener: scope.removeEventListener.bind(globalThis),
        }
      : undefined;
  windowEvents?.addEventListener('online', onOnline);
  windowEvents?.addEventListener('offline', onOffline);

  return {
    step,
    connect() {
      if (!store.isDisposed()) step({ type: 'open' });
    },
    disconnect() {
      if (store.isDisposed()) return;
      clearTimeout(retryTimer);
      step({ type: 'close' });
      socket.disconnect();
    },
    dispose() {
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      windowEvents?.removeEventListener('online', onOnline);
      windowEvents?.removeEventListener('offline', onOffline);
      clearTimeout(retryTimer);
    },
  };
}
