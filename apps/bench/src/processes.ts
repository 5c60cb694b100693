import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Every process the harness starts, so that none outlives it: on a normal end, on Ctrl+C, and
 * on a crash. Servers also exit by themselves when their IPC channel to us closes (see
 * servers/probe-preload.mjs), which covers the harness being killed outright.
 */
const children = new Set<ChildProcess>();

export function startProcess(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Asks a process to stop, and kills it if it has not within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

function killEverything(): void {
  for (const child of children) child.kill('SIGKILL');
}

let installed = false;
/** Kills every child on exit and on SIGINT/SIGTERM; call once from the entry point. */
export function killChildrenOnExit(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping every benchmark process`);
      killEverything();
      process.exit(130);
    });
  }
}

/** Resolves once something accepts TCP connections on host:port; bounded by `timeoutMs`. */
export async function waitForPort(
  host: string,
  port: number,
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`process exited (${child.exitCode}) before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Pins a process and all its threads to the given CPUs (taskset's list syntax, e.g. "0" or
 * "1-3"). Answers false when it could not (no taskset, no such CPU): the run goes on unpinned.
 */
export function pinToCpus(pid: number | undefined, cpus: string | undefined): boolean {
  if (!pid || !cpus) return false;
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * The most file descriptors a process started from here may open (the hard RLIMIT_NOFILE; Node
 * raises its own soft limit to it at start): every socket a server or a generator process holds
 * is one. Infinity when the shell cannot say.
 */
export function openFilesLimit(): number {
  const result = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' });
  const limit = Number(result.stdout?.trim());
  return result.status === 0 && Number.isFinite(limit) && limit > 0
    ? limit
    : Number.POSITIVE_INFINITY;
}
