import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis';

/**
 * The load balancers of deploy/, run for real: Debian's nginx or HAProxy, with the shipped config
 * rendered for loopback ports and a temporary directory (never a second copy of the config), as
 * a process of the test's own (never the system service).
 */
export type ProxyKind = 'nginx' | 'haproxy';

export interface TestProxy {
  kind: ProxyKind;
  url: string;
  /** Whether the proxy itself takes node `index` (0-based) as up: its health checks, if any. */
  routesTo(index: number): Promise<boolean>;
  output(): string;
  stop(): Promise<void>;
}

export interface ProxyOptions {
  /** Node addresses (`127.0.0.1:port`), in the order of the config's `server` lines. */
  nodes: string[];
  /** Edits of the rendered config, for measuring other settings than the shipped ones. */
  edit?: (config: string) => string;
}

const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
/** The node addresses the shipped configs name, in order: the test puts its own in their place. */
const EXAMPLE_NODES = ['10.0.0.11:3001', '10.0.0.12:3001'];

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Detached: the proxy leads its own process group, so its workers go with it.
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Gone already.
  }
}

/** The binary's path, or an error that says how to install it: the suite never skips. */
export function findBinary(kind: ProxyKind): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, kind);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error(
    `${kind} is not installed: the load balancer test runs Debian's ${kind}. Install it with ` +
      `\`sudo apt-get install -y ${kind}\` (scripts/test.sh does it when run as root).`,
  );
}

/** Replaces every occurrence of each key; a key the file no longer contains fails loudly. */
function substitute(file: string, text: string, replacements: [string, string][]): string {
  let rendered = text;
  for (const [from, to] of replacements) {
    if (!rendered.includes(from)) {
      throw new Error(`deploy/${file} no longer contains "${from}": update the test's rendering`);
    }
    rendered = rendered.split(from).join(to);
  }
  return rendered;
}

function nodeReplacements(nodes: string[]): [string, string][] {
  if (nodes.length !== EXAMPLE_NODES.length) {
    throw new Error(`the shipped configs name ${EXAMPLE_NODES.length} nodes`);
  }
  return EXAMPLE_NODES.map((example, i) => [example, nodes[i] as string]);
}

/** deploy/nginx.conf for this test: loopback ports, logs and temporary files in `dir`. */
export function renderNginx(dir: string, port: number, nodes: string[]): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${dir}/${kind};`)
    .join('\n');
  return substitute('nginx.conf', readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8'), [
    ...nodeReplacements(nodes),
    ['listen 80;', `listen 127.0.0.1:${port};`],
    ['/var/log/nginx/', `${dir}/`],
    // Where Debian's nginx keeps temporary files needs root; the test has its own.
    ['http {\n', `http {\n${temp}\n`],
  ]);
}

/** deploy/haproxy.cfg for this test: loopback ports, its admin socket in `dir`, logs on stderr. */
export function renderHaproxy(dir: string, port: number, nodes: string[]): string {
  return substitute('haproxy.cfg', readFileSync(join(DEPLOY, 'haproxy.cfg'), 'utf8'), [
    ...nodeReplacements(nodes),
    ['bind :80', `bind 127.0.0.1:${port}`],
    ['/run/haproxy/', `${dir}/`],
    ['log /dev/log', 'log stderr format raw'],
  ]);
}

/** One command on HAProxy's admin socket; answers what it printed. */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`no answer to ${command}`)));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** Waits until `check` holds, or fails saying what did not happen in time. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} within ${ms} ms`);
}

/** Starts the proxy on a free loopback port and waits until it answers through to a node. */
export async function startProxy(
  kind: ProxyKind,
  { nodes, edit }: ProxyOptions,
): Promise<TestProxy> {
  const binary = findBinary(kind);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `parley-${kind}-`));
  // nginx's workers drop root (to nobody): they must reach their temporary directories.
  chmodSync(dir, 0o755);
  const rendered =
    kind === 'nginx' ? renderNginx(dir, port, nodes) : renderHaproxy(dir, port, nodes);
  const config = join(dir, kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
  writeFileSync(config, edit ? edit(rendered) : rendered);
  const args =
    kind === 'nginx'
      ? ['-p', `${dir}/`, '-c', config, '-g', `daemon off; pid ${dir}/nginx.pid;`]
      : ['-f', config, '-db'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    killGroup(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `${kind} did not answer /healthz through to a node`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${kind} exited: ${output}`);
        return (await fetch(`${url}/healthz`)).status === 200;
      },
      10_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    kind,
    url,
    output: () => output,
    stop,
    async routesTo(index) {
      // nginx checks nothing: with max_fails=0 it tries every node for every new connection.
      if (kind === 'nginx') return true;
      const csv = await adminCommand(join(dir, 'admin.sock'), 'show stat');
      const [header = '', ...rows] = csv.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const status = columns.indexOf('status');
      const row = rows.find((line) => line.startsWith(`parley,node${index + 1},`));
      return row?.split(',')[status] === 'UP';
    },
  };
}
