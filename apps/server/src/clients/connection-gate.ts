import type { IncomingMessage } from 'node:http';
import type { ParleyConfig } from '../config';
import type { Metrics } from '../metrics';
import { TokenBucket } from '../socket/token-bucket';
import { addressKey, type ClientAddressOf } from './client-address';

/**
 * Which new connections the engine accepts, asked before any session is made for them (engine.io's
 * `allowRequest`, for every handshake): browsers only from allowed origins, and per client address
 * a rate of new connections and a number open at once. Counted on this node: each node protects
 * itself, and a client spread over N nodes by the load balancer gets N times the budget.
 */
export interface ConnectionGate {
  allowRequest(req: IncomingMessage, answer: (error: string | null, ok: boolean) => void): void;
  /**
   * An engine connection opened (its handshake request is still at hand): count it under its
   * address, which is answered so the caller can keep it and hand it back to `closed`.
   */
  opened(req: IncomingMessage): string | undefined;
  closed(address: string): void;
}

/** Buckets of addresses idle this long are forgotten, so past visitors cost nothing. */
const FORGET_AFTER_MS = 60_000;

export function createConnectionGate(
  { http, clients }: Pick<ParleyConfig, 'http' | 'clients'>,
  clientAddress: ClientAddressOf,
  metrics: Pick<Metrics, 'handshake' | 'rateLimited'>,
): ConnectionGate {
  const origins = new Set(http.corsOrigins);
  const open = new Map<string, number>();
  const rates = new Map<string, { bucket: TokenBucket; seenAt: number }>();
  const { connections, maxConnectionsPerAddress } = clients;
  let sweptAt = Date.now();

  function takeConnection(key: string): number {
    if (!connections) return 0;
    const now = Date.now();
    if (now - sweptAt > FORGET_AFTER_MS) {
      for (const [address, entry] of rates) {
        if (now - entry.seenAt > FORGET_AFTER_MS) rates.delete(address);
      }
      sweptAt = now;
    }
    let entry = rates.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(connections), seenAt: now };
      rates.set(key, entry);
    }
    entry.seenAt = now;
    return entry.bucket.take();
  }

  const refuse = (
    answer: (error: string | null, ok: boolean) => void,
    code: 'forbidden' | 'rate_limited',
    why: string,
  ) => {
    metrics.handshake('engine', code);
    if (code === 'rate_limited') metrics.rateLimited('connections');
    answer(why, false);
  };

  return {
    allowRequest(req, answer) {
      const origin = req.headers.origin;
      // Only browsers send an Origin; native clients, which send none, are not concerned.
      if (http.originCheck && origin !== undefined && !origins.has(origin)) {
        return refuse(
          answer,
          'forbidden',
          `forbidden: origin ${origin.slice(0, 100)} is not allowed`,
        );
      }
      const key = addressKey(clientAddress(req));
      if (maxConnectionsPerAddress > 0 && (open.get(key) ?? 0) >= maxConnectionsPerAddress) {
        return refuse(
          answer,
          'rate_limited',
          `rate_limited: ${maxConnectionsPerAddress} connections are open from your address already`,
        );
      }
      const waitMs = takeConnection(key);
      if (waitMs > 0) {
        return refuse(
          answer,
          'rate_limited',
          `rate_limited: too many new connections from your address; retry in ${Math.ceil(waitMs / 1000)} s`,
        );
      }
      metrics.handshake('engine', 'ok');
      answer(null, true);
    },
    opened(req) {
      if (maxConnectionsPerAddress === 0) return undefined;
      const key = addressKey(clientAddress(req));
      open.set(key, (open.get(key) ?? 0) + 1);
      return key;
    },
    closed(key) {
      const count = (open.get(key) ?? 1) - 1;
      if (count > 0) open.set(key, count);
      else open.delete(key);
    },
  };
}
