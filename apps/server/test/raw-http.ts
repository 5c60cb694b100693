import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one HTTP/1.1 request exactly as written (a request target no client library would
 * send, a body cut short) and reads the answer until the server closes the connection.
 */
export function rawRequest(
  url: string,
  { method = 'GET', target, headers = {}, body = '', timeoutMs = 5000 }: RawRequest,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    const done = () => resolve(parse(Buffer.concat(chunks).toString('latin1')));
    socket.on('end', done);
    // An upgrade that succeeded stays open: take what came by then.
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      done();
    });
    const lines = [`${method} ${target} HTTP/1.1`, `host: ${hostname}`];
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'connection')) {
      lines.push('connection: close');
    }
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`);
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  });
}

export interface RawRequest {
  method?: string;
  target: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

function parse(text: string): RawResponse {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/** A websocket upgrade request to the engine as a browser or ws would send it, ready to write. */
export function engineUpgradeRequest(host: string, headers: Record<string, string> = {}): string {
  return [
    'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
    `host: ${host}`,
    'connection: Upgrade',
    'upgrade: websocket',
    'sec-websocket-version: 13',
    'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
}
