import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../src/config';

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** Everything it logged so far. */
  output(): string;
  /** SIGKILL: no shutdown, no cleanup, exactly like a crash. */
  kill(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** How to run the node, when not `main.ts` from the source with this process's environment. */
export interface SpawnOptions {
  /** Node's arguments: a build's `dist/main.js`, say. */
  args?: string[];
  cwd?: string;
  /** The environment under `env` (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Runs `main.ts` as its own process (so it can be killed) and waits until it listens. */
export async function spawnNode(
  env: Environment,
  { args = ['--import', 'tsx', MAIN], cwd, baseEnv = process.env }: SpawnOptions = {},
): Promise<NodeProcess> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...baseEnv, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never listened: ${output}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    child.stdout?.on('data', () => {
      // The listening line's port: a metrics listener (METRICS_PORT) may log its own before.
      const match = /"port":(\d+)[^\n]*"msg":"parley listening"/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves with the process's exit code once it has exited (at once if it has). */
export function exitOf(node: NodeProcess): Promise<number | null> {
  if (node.child.exitCode !== null) return Promise.resolve(node.child.exitCode);
  return new Promise((resolve) => node.child.once('exit', (code) => resolve(code)));
}
