import type { TargetName } from '../servers/targets';
import type { ScenarioContext } from './context';
import { fanoutRoomLoad, medianByP99 } from './fanout';
import { type Measurement, measureAt, medianRoundByTarget } from './measure';

export interface CrossNodeResult {
  deliveriesPerSec: number;
  receivers: number;
  /** Every round of each target, in the order they ran (interleaved). */
  rounds: { target: TargetName; measurement: Measurement }[];
  /** Per target: the round with the median p99. */
  byTarget: Partial<Record<TargetName, Measurement>>;
}

const COMPARED: TargetName[] = ['parley', 'parley-redis'];

/**
 * The same fan-out at the same fixed load on one Parley node and on two over Redis (sender on
 * the first node, receivers split), alternated for several rounds so that a noisy neighbour
 * hurts both alike.
 */
export async function runCrossNode(context: ScenarioContext): Promise<CrossNodeResult> {
  const { options, pool } = context;
  const { deliveriesPerSec, receivers, seconds, rounds } = options.crossNode;
  const results: CrossNodeResult['rounds'] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of COMPARED.filter((target) => options.targets.includes(target))) {
      context.log(`  round ${round + 1}: ${name}`);
      const measurement = await context.withTarget(name, async (target) => {
        const load = await fanoutRoomLoad(context, target, {
          receivers,
          durationMs: seconds * 1000,
        });
        const measured = await measureAt(load, deliveriesPerSec / load.fanout);
        await pool.closeClients();
        return measured;
      });
      context.log(
        `    ${Math.round(measurement.deliveredPerSec)} deliveries/s: p50 ${measurement.latency.p50Ms} / p99 ${measurement.latency.p99Ms} ms`,
      );
      results.push({ target: name, measurement });
    }
  }
  const byTarget = medianRoundByTarget(results, COMPARED, medianByP99);
  return { deliveriesPerSec, receivers, rounds: results, byTarget };
}
