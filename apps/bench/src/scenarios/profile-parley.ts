import { join } from 'node:path';
import { type ProfileSummary, summarizeProfile } from '../profile/top-frames';
import type { RunningTarget, TargetName } from '../servers/targets';
import { warmConnects } from './connect-rate';
import { clientsInRooms, type ScenarioContext } from './context';
import { fanoutRoomLoad } from './fanout';
import { manyRoomsLoad } from './many-rooms';
import { measureAt } from './measure';

export interface ParleyProfiles {
  /** Fan-out at the same-load rate: bare Socket.IO and Parley under the very same load. */
  fanoutSameLoadBare?: ProfileSummary & { messagesPerSec: number };
  fanoutSameLoad?: ProfileSummary & { messagesPerSec: number };
  fanout?: ProfileSummary & { messagesPerSec: number };
  manyRooms?: ProfileSummary & { messagesPerSec: number };
  /** Connect + join after a warm-up storm (as measured): bare Socket.IO, then Parley. */
  connectBare?: ProfileSummary & { clients: number };
  connect?: ProfileSummary & { clients: number };
}

/** Rates found by the run (75 % of each peak), so the profiles show a busy, not a drowning, server. */
export interface ProfileRates {
  fanoutPerSec: number;
  /** The run's same-load rate (see sameLoadRateFor). */
  fanoutSameLoadPerSec: number;
  manyRoomsPerClientPerSec: number;
}

/**
 * Where Parley's time goes under each kind of load: V8's CPU profile of only the measured
 * window (setup excluded), summarized by function and by package. The .cpuprofile files stay in
 * `dir` for a closer look (Chrome DevTools, speedscope).
 */
export async function profileParley(
  context: ScenarioContext,
  rates: ProfileRates,
  dir: string,
): Promise<ParleyProfiles> {
  const { options, pool, log } = context;
  const durationMs = options.profileSeconds * 1000;
  const profiles: ParleyProfiles = {};
  const profiled = async (target: RunningTarget, file: string, work: () => Promise<void>) => {
    const stop = await target.profile();
    await work();
    await stop(join(dir, file));
    return summarizeProfile(join(dir, file), 30);
  };

  const profileFanout = (name: TargetName, messagesPerSec: number, file: string) =>
    context.withTarget(name, async (target) => {
      const load = await fanoutRoomLoad(context, target, {
        receivers: options.fanout.receivers,
        durationMs,
      });
      await measureAt(load, messagesPerSec); // warm the JIT before profiling
      const summary = await profiled(target, file, async () => {
        await measureAt(load, messagesPerSec);
      });
      return { ...summary, messagesPerSec };
    });

  // The latency comparison is made at one rate for all; these say where each spends its time there.
  const sameLoad = rates.fanoutSameLoadPerSec;
  log(`  fan-out at ${sameLoad} msg/s: bare Socket.IO, then Parley`);
  profiles.fanoutSameLoadBare = await profileFanout(
    'socketio',
    sameLoad,
    'fanout-same-load-bare.cpuprofile',
  );
  profiles.fanoutSameLoad = await profileFanout(
    options.profileTarget,
    sameLoad,
    'fanout-same-load.cpuprofile',
  );

  log('  fan-out');
  profiles.fanout = await profileFanout(
    options.profileTarget,
    rates.fanoutPerSec,
    'fanout.cpuprofile',
  );

  log('  many rooms');
  await context.withTarget(options.profileTarget, async (target) => {
    const { load, connected } = await manyRoomsLoad(context, target, { durationMs });
    await measureAt(load, rates.manyRoomsPerClientPerSec);
    const summary = await profiled(target, 'many-rooms.cpuprofile', async () => {
      await measureAt(load, rates.manyRoomsPerClientPerSec);
    });
    profiles.manyRooms = {
      ...summary,
      messagesPerSec: rates.manyRoomsPerClientPerSec * connected.connected,
    };
  });

  log('  connect + join: bare Socket.IO, then Parley');
  const profileConnect = (name: TargetName, file: string) =>
    context.withTarget(name, async (target) => {
      const { clients, roomSize, concurrency } = options.connect;
      const specs = clientsInRooms(target.urls.slice(0, 1), clients, roomSize, { sends: false });
      await warmConnects(context, specs, 1);
      const summary = await profiled(target, file, async () => {
        await pool.connect(specs, { concurrency, timeoutMs: 120_000 });
      });
      return { ...summary, clients };
    });
  profiles.connectBare = await profileConnect('socketio', 'connect-bare.cpuprofile');
  profiles.connect = await profileConnect(options.profileTarget, 'connect.cpuprofile');
  return profiles;
}
