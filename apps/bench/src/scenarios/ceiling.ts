import type { BenchOptions } from '../options';
import type { RunningTarget, TargetName } from '../servers/targets';
import { type ScenarioContext, withTargetsUp } from './context';
import { type FanoutResult, fanoutRoomLoad } from './fanout';
import { type TurnsResult, takeTurns } from './turns';

/** The `ws` ceiling and Parley: what Parley spends per delivery beyond what any server must. */
export const CEILING_TARGETS: readonly TargetName[] = ['ws', 'parley'];

/** Whether a run with these targets measures the ceiling scenario (it needs both). */
export function measuresCeiling(targets: readonly TargetName[]): boolean {
  return CEILING_TARGETS.every((name) => targets.includes(name));
}

/** The ceiling, Parley, and another build of it when asked for (an A/B at the same loads). */
export function ceilingTargetsOf(targets: readonly TargetName[]): TargetName[] {
  return [...CEILING_TARGETS, ...targets.filter((name) => name === 'parley-baseline')];
}

export interface CeilingResult {
  receivers: number;
  targets: TargetName[];
  /** One per rate, lowest first: both targets at that load, taking turns. */
  loads: TurnsResult[];
}

/**
 * Fan-out against the ceiling at the same loads (issue 15). The saturation search compares each
 * server at its own peak, where batching differs (the faster server writes more frames per
 * system call, so each costs it less) and where a server that builds a backlog delivers, inside
 * the window, frames it wrote before it. Here both carry the very same loads, each a rate both
 * sustain, in turns, so deliveries per server CPU-second say what a delivery costs each;
 * `serverWritesPerDelivery` and `serverBytesPerDelivery` show that they batch alike and whether
 * a window drained a backlog.
 */
export async function runCeiling(
  context: ScenarioContext,
  rates: number[],
): Promise<CeilingResult> {
  const { options } = context;
  const { receivers } = options.fanout;
  const { rounds } = options.ceiling;
  const targets = ceilingTargetsOf(options.targets);
  const loads = await withTargetsUp(context, targets, async (running) => {
    const turns = (label: string, perSenderPerSec: number, turnRounds: number) =>
      takeTurns(context, {
        label,
        targets,
        rounds: turnRounds,
        perSenderPerSec,
        use: (name, work) => work(running.get(name) as RunningTarget),
        connect: (target) =>
          fanoutRoomLoad(context, target, { receivers, durationMs: options.stepMs }),
      });
    const top = Math.max(...rates);
    // Unreported: the JIT, and each server's first room of this size.
    if (options.warmupTurns > 0) await turns(`warm-up at ${top} msg/s`, top, options.warmupTurns);
    const results: TurnsResult[] = [];
    for (const rate of [...rates].sort((a, b) => a - b))
      results.push(await turns(`${rate} msg/s`, rate, rounds));
    return results;
  });
  return { receivers, targets: [...targets], loads };
}

/**
 * The loads: `--ceiling-rates`, else fractions of Parley's peak from this run's fan-out (both
 * sustain them: the ceiling's peak is higher), else the fallback rates.
 */
export function ceilingRatesFor(options: BenchOptions, parley: FanoutResult | undefined): number[] {
  const { rates, fractions, fallbackRates } = options.ceiling;
  if (rates) return rates;
  if (!parley) return fallbackRates;
  const peakMessagesPerSec =
    parley.peak.deliveredPerSec / (parley.receivers - parley.connectFailures);
  return fractions.map((fraction) => Math.max(1, Math.round(peakMessagesPerSec * fraction)));
}
