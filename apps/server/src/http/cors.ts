import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which browser origins may read a set of endpoints' answers, and what they may send. */
export interface CorsPolicy {
  origins: ReadonlySet<string>;
  methods: string;
  /** The request headers a preflight may name; undefined: whichever it asks for. */
  headers?: string;
}

/**
 * Adds the CORS headers for a request from an allowed origin; nothing for any other, so the
 * browser keeps the answer from the page. Set before the answer is written (`writeHead` merges
 * them), preflight or not.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, policy: CorsPolicy): void {
  const origin = req.headers.origin;
  if (!origin || !policy.origins.has(origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-allow-methods', policy.methods);
  const headers = policy.headers ?? req.headers['access-control-request-headers'];
  if (headers) res.setHeader('access-control-allow-headers', headers);
  res.setHeader('access-control-max-age', '600');
}
