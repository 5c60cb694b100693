import type { ChildProcess } from 'node:child_process';
import { freePort, startProcess, stopProcess, waitForPort } from '../processes';

export interface RunningRedis {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A private, throwaway Redis on a free loopback port: never the machine's own on 6379. */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const redis = startProcess(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort('127.0.0.1', port, redis);
  return {
    url: `redis://127.0.0.1:${port}`,
    process: redis,
    stop: () => stopProcess(redis),
  };
}
