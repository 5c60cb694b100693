/**
 * Real parts for browser tests: the built Parley server and the built web app as child
 * processes on free loopback ports, and Debian's Chromium driven by playwright-core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devHosts } from '@parley/protocol';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The built server; `PARLEY_SERVER_MAIN` points at another build (one made elsewhere). */
const SERVER_MAIN =
  process.env.PARLEY_SERVER_MAIN ??
  fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
const NEXT_BIN = join(WEB_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
const DEV_SCRIPT = fileURLToPath(new URL('../../../scripts/dev.sh', import.meta.url));
export const OUTPUT_DIR = join(WEB_DIR, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';
/**
 * Every person in a browser test comes from 127.0.0.1, so per-address limits would count a
 * whole test file as one visitor: off unless a test sets them.
 */
const PER_ADDRESS_LIMITS_OFF = {
  RATE_GUEST_TOKENS_PER_MINUTE: '0',
  RATE_GUEST_TOKENS_BURST: '0',
  RATE_CONNECTIONS_PER_SECOND: '0',
  RATE_CONNECTIONS_BURST: '0',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

export interface ParleyProcess {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The built server; `stop` and `start` again keep the same port, as a restart would. */
export async function parleyServer(env: Record<string, string> = {}): Promise<ParleyProcess> {
  if (!existsSync(SERVER_MAIN))
    throw new Error(`${SERVER_MAIN} is missing: run pnpm --filter @parley/server build`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: ParleyProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(process.execPath, [SERVER_MAIN], {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          HOST: '127.0.0.1',
          PORT: String(port),
          PARLEY_AUTH_SECRET: SECRET,
          LOG_LEVEL: 'info',
          ...PER_ADDRESS_LIMITS_OFF,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await waitForOutput(child, /parley listening/, 'Parley server');
    },
    async stop() {
      if (child) await stopProcess(child);
    },
  };
  await server.start();
  return server;
}

export interface RedisProcess {
  url: string;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free loopback port (never the machine's 6379), kept in
 * memory only: what two Parley nodes share to run as one cluster.
 */
export async function redisServer(): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitForOutput(child, /Ready to accept connections/, 'redis-server', 10_000);
  } catch (failure) {
    await stopProcess(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw failure;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopProcess(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WebProcess {
  url: string;
  stop(): Promise<void>;
}

/** The production build of the web app (`next start`) pointed at a Parley server. */
export async function webApp(serverUrl: string, port: number): Promise<WebProcess> {
  if (!existsSync(join(WEB_DIR, '.next', 'BUILD_ID'))) {
    throw new Error('apps/web has no production build: run pnpm --filter @parley/web build');
  }
  const child = spawn(
    process.execPath,
    [NEXT_BIN, 'start', '--port', String(port), '--hostname', '127.0.0.1'],
    {
      cwd: WEB_DIR,
      env: { ...process.env, PARLEY_SERVER_URL: serverUrl, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitForOutput(child, /Ready in|ready on|started server/i, 'Web app');
  return { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

export interface DevProcess {
  serverUrl: string;
  /** The web app at `host` (`127.0.0.1`, `localhost`, a network address). */
  webUrl(host: string): string;
  /** Everything it printed so far. */
  output(): string;
  /** Ctrl+C, as a terminal sends it (SIGINT to the whole process group); what it did then. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** For cleanup when a test failed first: SIGTERM, which the script passes on to its parts. */
  stop(): void;
}

/**
 * Parley as a developer runs it: `scripts/dev.sh` (what `pnpm dev` and scripts/start.sh run),
 * so the server from source under `tsx watch` and `next dev` on all interfaces (no
 * `--hostname`), with React StrictMode running effects twice, on free ports.
 */
export async function devScript(): Promise<DevProcess> {
  const [webPort, serverPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    // What a developer's shell means by leaving it unset (vitest's is `test`).
    NODE_ENV: 'development' as const,
    PARLEY_WEB_PORT: String(webPort),
    PARLEY_SERVER_PORT: String(serverPort),
    ...PER_ADDRESS_LIMITS_OFF,
    // A server stops only once the presence graces of its last visitors are over (3 s).
    PRESENCE_GRACE_MS: '0',
    // At :3000 the server lets in the web app at every name of this machine by itself; on
    // another port scripts/dev.sh lets in only loopback unless told more. The same names as at
    // :3000, at this port: the tests open the app at the network address too.
    CORS_ORIGINS: ['localhost', ...devHosts(networkInterfaces(), hostname())]
      .map((host) => `http://${host}:${webPort}`)
      .join(','),
  };
  // Its own process group (detached), which a terminal's Ctrl+C reaches as a whole.
  const child = spawn('bash', [DEV_SCRIPT], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const group = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  try {
    await Promise.all([
      waitForOutput(child, /parley listening/, 'Parley server (dev)', 120_000),
      waitForOutput(child, /Ready in/, 'Web app (next dev)', 120_000),
    ]);
  } catch (failure) {
    group('SIGTERM');
    throw failure;
  }
  return {
    serverUrl: `http://127.0.0.1:${serverPort}`,
    webUrl: (host) => `http://${host}:${webPort}`,
    output: () => output,
    async interrupt() {
      group('SIGINT');
      const result = await exited;
      return { ...result, output };
    },
    stop() {
      group('SIGTERM');
    },
  };
}

export interface BrowserHandle {
  browser: Browser;
  /** A fresh context: its own storage, as a separate person's browser. */
  person(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserHandle> {
  // Playwright gives every launch a fresh, empty profile directory of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    person: (viewport = { width: 1280, height: 800 }) => browser.newContext({ viewport }),
    async close() {
      await browser.close();
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, `${name}.png`);
}
