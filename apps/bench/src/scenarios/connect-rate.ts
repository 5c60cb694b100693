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
}

/**
 * A connect storm: clients open, authenticate and join rooms of `roomSize` in one workspace as
 * fast as a bounded number of handshakes in flight allows.
 */
export async function runConnectRate(
  context: ScenarioContext,
  name: TargetName,
): Promise<ConnectRateResult> {
  const { options, pool } = context;
  const { clients, roomSize, concurrency } = options.connect;
  return context.withTarget(name, async (target) => {
    const specs = clientsInRooms(target.urls, clients, roomSize, { sends: false });
    const cpu = new CpuMeter(() => target.pids());
    cpu.start();
    const result = await pool.connect(specs, { concurrency, timeoutMs: 60_000 });
    const serverCpu = cpu.read();
    await pool.closeClients();
    const joinsPerSec = Math.round(result.connected / (result.elapsedMs / 1000));
    const duration = summarize(result.durations);
    context.log(
      `    ${result.connected}/${clients} joined in ${Math.round(result.elapsedMs)} ms: ${joinsPerSec}/s, ` +
        `p50 ${duration.p50Ms} / p99 ${duration.p99Ms} ms`,
    );
    return {
      clients,
      connected: result.connected,
      failed: result.failed,
      joinsPerSec,
      duration,
      serverCpuPercent: Math.round(serverCpu.corePercent),
    };
  });
}
