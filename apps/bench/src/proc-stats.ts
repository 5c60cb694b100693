import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** Linux reports process times in clock ticks; 100 per second on every common kernel config. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far, read from outside it. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return 0; // the process is gone: it uses no more CPU
  }
}

/** The processes `pid` started (its threads' children), e.g. a cluster primary's workers. */
export function childPidsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter((field) => field.trim() !== '')
        .map(Number),
    );
  } catch {
    return []; // gone, or gone between the listing and the read
  }
}

/**
 * Connections the kernel dropped because a listening socket's accept queue was full (TcpExt
 * ListenOverflows, the whole machine, since boot): a server that accepts too slowly for what
 * arrives, or whose backlog is too short, makes clients wait for TCP to retry.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = (lines[i] as string).split(' ');
      if (names[0] !== 'TcpExt:') continue;
      const values = (lines[i + 1] as string).split(' ');
      return Number(values[names.indexOf('ListenOverflows')] ?? 0);
    }
  } catch {
    // not Linux, or no /proc: nothing to report
  }
  return 0;
}

/** Resident set size in bytes (VmRSS), or 0 when the process is gone. */
export function rssBytesOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Write system calls (`syscw`: write, writev, sendmsg…) and bytes written (`wchar`) so far. */
export interface WriteCounts {
  calls: number;
  bytes: number;
}

/** What a process has written so far, to sockets and files alike; zeros once it is gone. */
export function writesOf(pid: number): WriteCounts {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return {
      calls: Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? 0),
      bytes: Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? 0),
    };
  } catch {
    return { calls: 0, bytes: 0 };
  }
}

/**
 * What a set of processes writes over a window: how well a server batches its frames (write
 * calls per delivery) and how much it sends per delivery. A window whose bytes per delivery fall
 * short of the frame's size delivered frames written before it: the server was building a
 * backlog, and its deliveries per CPU-second count work done outside the window.
 */
export class WriteMeter {
  private start_: WriteCounts = { calls: 0, bytes: 0 };

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.start_ = this.total();
  }

  read(): WriteCounts {
    const now = this.total();
    return { calls: now.calls - this.start_.calls, bytes: now.bytes - this.start_.bytes };
  }

  private total(): WriteCounts {
    return this.pids().reduce(
      (sum, pid) => {
        const counts = writesOf(pid);
        return { calls: sum.calls + counts.calls, bytes: sum.bytes + counts.bytes };
      },
      { calls: 0, bytes: 0 },
    );
  }
}

/** Measures the CPU a set of processes uses over a window, as a share of one core. */
export class CpuMeter {
  private startSeconds = 0;
  private startedAt = 0;

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.startSeconds = this.total();
    this.startedAt = performance.now();
  }

  /** CPU seconds used since `start` and the wall seconds elapsed. */
  read(): { cpuSeconds: number; wallSeconds: number; corePercent: number } {
    const cpuSeconds = this.total() - this.startSeconds;
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    return { cpuSeconds, wallSeconds, corePercent: (100 * cpuSeconds) / wallSeconds };
  }

  private total(): number {
    return this.pids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  }
}

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** 1-minute load average when the run started and ended: above the core count, others ran too. */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
}

export function describeMachine(): MachineDescription {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadAverageAtStart: round2(loadavg()[0] ?? 0),
  };
}

export function currentLoadAverage(): number {
  return round2(loadavg()[0] ?? 0);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
