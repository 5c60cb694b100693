import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ProfileSummary, summarizeProfile } from '../profile/top-frames';
import type { ScenarioContext } from './context';
import { connectFanoutRoom } from './fanout';
import { type Load, measureAt } from './measure';

/**
 * Runs Parley under `node --cpu-prof` with the fan-out load at `messagesPerSec` for the given
 * seconds, stops it cleanly (the profile is written on exit) and summarizes the profile.
 */
export async function profileParleyFanout(
  context: ScenarioContext,
  messagesPerSec: number,
  profileDir: string,
): Promise<ProfileSummary> {
  const { options, pool } = context;
  const { receivers, window } = options.fanout;
  await context.withTarget(
    'parley',
    async (target) => {
      const { failed } = await connectFanoutRoom(context, target, receivers);
      const load: Load = {
        pool,
        target,
        senders: 1,
        fanout: receivers - failed,
        window,
        warmupMs: options.warmupMs,
        durationMs: options.profileSeconds * 1000,
      };
      const measured = await measureAt(load, messagesPerSec);
      context.log(
        `    profiled at ${Math.round(measured.offeredMessagesPerSec)} msg/s: ${Math.round(measured.deliveredPerSec)} deliveries/s, server ${Math.round(measured.serverCpuPercent)} % CPU`,
      );
      await pool.closeClients();
    },
    { cpuProfileDir: profileDir },
  );
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${profileDir}`);
  return summarizeProfile(join(profileDir, file), 30);
}
