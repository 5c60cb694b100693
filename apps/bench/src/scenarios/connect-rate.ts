import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientSpec } from '../clients/raw-socketio';
import { type LatencySummary, summarize } from '../latency';
import { CpuMeter } from '../proc-stats';
import type { TargetName } from '../servers/targets';
import { clientsInRooms, type ScenarioContext } from './context';

export interface ConnectRateResult {
  clients: number;
  connected: number;
  failed: number;
  /** Completed connect + namespace handshake (token check) + room join per second. */
  joinsPerSec: number;
  /** Per client, from opening the WebSocket to the join's acknowledgement. */
  duration: LatencySummary;
  serverCpuPercent: number;
  /** Server CPU per completed join (of one core), in ms: what a join costs the server. */
  serverCpuMsPerJoin: number;
  /** The load generator's processes (their own core): near 100 % means they were the limit. */
  generatorCpuPercent: number;
  /**
   * The same connect storm on the freshly started process, before the measured one (other users
   * and rooms): what a node just started does, its code not yet optimized. Absent without warm-up
   * turns (`--quick`), where the measured pass is the first.
   */
  coldJoinsPerSec?: number;
}

/**
 * A connect storm: clients open, authenticate and join rooms of `roomSize` in one workspace as
 * fast as a bounded number of handshakes in flight allows. Like every other throughput scenario
 * it measures after warm-up turns (here: the same storm by other users into other rooms, then
 * closed), so it compares servers running, not starting; the first turn's rate is reported too.
 */
export async function runConnectRate(
  context: ScenarioContext,
  name: TargetName,
): Promise<ConnectRateResult> {
  const { options, pool } = context;
  const { clients, roomSize, concurrency } = options.connect;
  return context.withTarget(name, async (target) => {
    const specs = clientsInRooms(target.urls, clients, roomSize, { sends: false });
    const coldJoinsPerSec = await warmConnects(context, specs, options.warmupTurns);
    const cpu = new CpuMeter(() => target.pids());
    const generator = new CpuMeter(() => pool.pids());
    cpu.start();
    generator.start();
    const result = await pool.connect(specs, { concurrency, timeoutMs: 60_000 });
    const serverCpu = cpu.read();
    const generatorCpu = generator.read();
    await pool.closeClients();
    const joinsPerSec = Math.round(result.connected / (result.elapsedMs / 1000));
    const duration = summarize(result.durations);
    context.log(
      `    ${result.connected}/${clients} joined in ${Math.round(result.elapsedMs)} ms: ${joinsPerSec}/s, ` +
        `p50 ${duration.p50Ms} / p99 ${duration.p99Ms} ms` +
        (coldJoinsPerSec === undefined ? '' : ` (first turn, cold: ${coldJoinsPerSec}/s)`),
    );
    return {
      clients,
      connected: result.connected,
      failed: result.failed,
      joinsPerSec,
      duration,
      serverCpuPercent: Math.round(serverCpu.corePercent),
      serverCpuMsPerJoin:
        result.connected > 0
          ? Math.round((serverCpu.cpuSeconds * 1e6) / result.connected) / 1000
          : 0,
      generatorCpuPercent: Math.round(generatorCpu.corePercent),
      coldJoinsPerSec,
    };
  });
}

/**
 * `turns` connect storms like `specs` by other users into other rooms, each closed after: the
 * server's connect and join paths optimized as on a node that has run a while. Answers the first
 * turn's joins per second (undefined without turns).
 */
export async function warmConnects(
  { pool, options }: ScenarioContext,
  specs: readonly ClientSpec[],
  turns: number,
): Promise<number | undefined> {
  let firstJoinsPerSec: number | undefined;
  for (let turn = 0; turn < turns; turn++) {
    const others = specs.map((spec) => ({
      ...spec,
      room: `warm-${turn}-${spec.room}`,
      userId: `warm-${turn}-${spec.userId}`,
    }));
    const warm = await pool.connect(others, {
      concurrency: options.connect.concurrency,
      timeoutMs: 60_000,
    });
    await pool.closeClients();
    firstJoinsPerSec ??= Math.round(warm.connected / (warm.elapsedMs / 1000));
    // Their departures are the server's to finish before what is measured starts.
    await sleep(1000);
  }
  return firstJoinsPerSec;
}
