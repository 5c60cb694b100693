/**
 * A real Parley server for the integration tests: the built server (apps/server/dist, as the web
 * app's browser tests use it) as a child process on 127.0.0.1, on a port the OS picks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built server; `PARLEY_SERVER_MAIN` points at another build (one made elsewhere). */
const SERVER_MAIN =
  process.env.PARLEY_SERVER_MAIN ??
  fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));
export const SECRET = 'client-tests-secret-that-is-long-enough!';

export interface ParleyServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Every test person comes from 127.0.0.1, so per-address limits would count a whole file as one
 * visitor; a user's presence ends at once when their connection does (no grace).
 */
const TEST_ENV = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  PARLEY_AUTH_SECRET: SECRET,
  LOG_LEVEL: 'info',
  RATE_GUEST_TOKENS_PER_MINUTE: '0',
  RATE_GUEST_TOKENS_BURST: '0',
  RATE_CONNECTIONS_PER_SECOND: '0',
  RATE_CONNECTIONS_BURST: '0',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  PRESENCE_GRACE_MS: '0',
};

export async function startServer(env: Record<string, string> = {}): Promise<ParleyServer> {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: run pnpm --filter @parley/server build`);
  }
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...process.env, ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await listeningPort(child);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => stopProcess(child),
  };
}

/** Reads the server's log until it says where it listens. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no server:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      for (const line of output.split('\n')) {
        if (!line.includes('parley listening')) continue;
        try {
          const { port } = JSON.parse(line) as { port: number };
          clearTimeout(timer);
          resolve(port);
          return;
        } catch {
          // A partial line: wait for the rest.
        }
      }
      // Keep only a tail, for the error message; the pipes keep being read (and drained).
      if (output.length > 20_000) output = output.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** An HS256 token as a team's backend would mint it with the server's secret. */
export function mintToken(claims: {
  sub: string;
  name: string;
  ws?: '*' | string[];
  /** Seconds since the epoch. */
  exp: number;
}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ ws: '*', ...claims })}`;
  const signature = createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${signature}`;
}
