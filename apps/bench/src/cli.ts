import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientPool } from './clients/pool';
import { HELP, parseOptions, type ScenarioName } from './options';
import { currentLoadAverage, describeMachine } from './proc-stats';
import { killChildrenOnExit } from './processes';
import { renderProfile } from './profile/top-frames';
import {
  type BenchReport,
  checkGoals,
  computeMetricsCost,
  computeRatios,
  findProblems,
  presenceChurnCharts,
  renderMarkdown,
} from './report';
import { ceilingCharts } from './report-ceiling';
import { medianStormRound, reconnectStormCharts, type StormResults } from './report-storm';
import { BIG_WORKSPACE_TARGETS, runBigWorkspace } from './scenarios/big-workspace';
import { CEILING_TARGETS, ceilingRatesFor, measuresCeiling, runCeiling } from './scenarios/ceiling';
import { runConnectRate } from './scenarios/connect-rate';
import type { ScenarioContext } from './scenarios/context';
import { runCrossNode } from './scenarios/cross-node';
import { EVERY_CORE_TARGETS, runEveryCore } from './scenarios/every-core';
import { runFanout, sameLoadRateFor } from './scenarios/fanout';
import { runIdleMemory } from './scenarios/idle-memory';
import { runManyRooms } from './scenarios/many-rooms';
import { hasPresence, runPresenceChurn } from './scenarios/presence-churn';
import { profileParley } from './scenarios/profile-parley';
import { canStorm, runReconnectStorm } from './scenarios/reconnect-storm';
import { runReplicatedAcks } from './scenarios/replicated-acks';
import { runSameLoad } from './scenarios/same-load';
import { ensureParleyBuilt } from './servers/parley-build';
import { createTargetRunner } from './servers/target-runner';
import { startTarget, TARGET_LABELS, type TargetName } from './servers/targets';

const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  killChildrenOnExit();
  const out = options.outDir;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(out, `run-${stamp}`);
  mkdirSync(runDir, { recursive: true });
  if (options.targets.some((name) => name.startsWith('parley')) && options.build)
    ensureParleyBuilt(log);

  // Labelled with the workers it runs (reports name it by this).
  TARGET_LABELS['parley-workers'] = `Parley, PARLEY_WORKERS=${options.parleyWorkers} + Redis`;
  const startedAt = Date.now();
  const authSecret = randomBytes(32).toString('base64url');
  const pool = ClientPool.start(options.workers + 1, authSecret, options.pin?.generatorCpus);
  const targets = createTargetRunner({
    keep: options.quick,
    pool,
    start: (name) =>
      startTarget(name, {
        logDir: runDir,
        authSecret,
        cpus: options.pin?.serverCpus,
        baselineMain: options.baselineMain,
        parleyWorkers: options.parleyWorkers,
        parleyEnv: options.parleyEnv,
      }),
  });
  const context: ScenarioContext = {
    options,
    pool,
    log,
    withTarget: (name, work) => targets.run(name, work),
    withFreshTarget: (name, work) => targets.run(name, work, { fresh: true }),
  };
  const report: BenchReport = {
    command: `pnpm bench${argv.length ? ` ${argv.join(' ')}` : ''}`,
    startedAt: new Date(startedAt).toISOString(),
    machine: describeMachine(),
    options,
    fanout: {},
    manyRooms: {},
    idleMemory: {},
    connectRate: {},
    bigWorkspace: {},
    errors: [],
  };

  const perTarget = async <T>(
    scenario: ScenarioName,
    targets: TargetName[],
    run: (name: TargetName) => Promise<T>,
    store: (name: TargetName, result: T) => void,
  ) => {
    for (const name of targets) {
      log(`${scenario}: ${TARGET_LABELS[name]}`);
      try {
        store(name, await run(name));
      } catch (error) {
        report.errors.push(`${scenario}/${name}: ${(error as Error).message}`);
        log(`  failed: ${(error as Error).message}`);
      }
    }
  };

  try {
    for (const scenario of options.scenarios) {
      const scenarioStart = Date.now();
      switch (scenario) {
        case 'fanout':
          await perTarget(
            scenario,
            options.targets,
            (name) => runFanout(context, name),
            (name, result) => {
              report.fanout[name] = result;
            },
          );
          break;
        case 'latency': {
          const rate = sameLoadRateFor(options, report.fanout.socketio);
          const compared = options.targets.filter((name) => name !== 'parley-redis');
          log(`latency: fan-out at ${rate} msg/s for ${compared.join(', ')}, interleaved`);
          try {
            report.sameLoad = await runSameLoad(context, compared, rate);
          } catch (error) {
            report.errors.push(`latency: ${(error as Error).message}`);
          }
          break;
        }
        case 'many-rooms':
          await perTarget(
            scenario,
            options.targets,
            (name) => runManyRooms(context, name),
            (name, result) => {
              report.manyRooms[name] = result;
            },
          );
          break;
        case 'cross-node':
          log('cross-node: Parley on one node and on two over Redis, interleaved');
          try {
            report.crossNode = await runCrossNode(context);
          } catch (error) {
            report.errors.push(`cross-node: ${(error as Error).message}`);
          }
          break;
        case 'every-core':
          log(`every-core: ${EVERY_CORE_TARGETS.join(', ')} at the same loads, taking turns`);
          try {
            report.everyCore = await runEveryCore(context, EVERY_CORE_TARGETS);
          } catch (error) {
            report.errors.push(`every-core: ${(error as Error).message}`);
          }
          break;
        case 'ceiling': {
          if (!measuresCeiling(options.targets)) {
            log(`ceiling: n/a without the ${CEILING_TARGETS.join(' and ')} targets`);
            break;
          }
          const rates = ceilingRatesFor(options, report.fanout.parley);
          log(`ceiling: the ws ceiling and Parley at ${rates.join(', ')} msg/s, taking turns`);
          try {
            report.ceiling = await runCeiling(context, rates);
          } catch (error) {
            report.errors.push(`ceiling: ${(error as Error).message}`);
          }
          break;
        }
        case 'replicated-acks':
          // A variant of Parley ×2 + Redis: measured when that target is.
          if (!options.targets.includes('parley-redis')) {
            log('replicated-acks: n/a without the parley-redis target');
            break;
          }
          log(
            'replicated-acks: Parley ×2 over Redis with a replica, WAIT off and WAIT 1, interleaved',
          );
          try {
            report.replicatedAcks = await runReplicatedAcks(context);
          } catch (error) {
            report.errors.push(`replicated-acks: ${(error as Error).message}`);
          }
          break;
        case 'memory':
          // Idle memory compares single processes; two nodes would only halve the sockets per node.
          await perTarget(
            scenario,
            options.targets.filter((name) => name !== 'parley-redis'),
            (name) => runIdleMemory(context, name),
            (name, result) => {
              report.idleMemory[name] = result;
            },
          );
          break;
        case 'connect':
          await perTarget(
            scenario,
            options.targets,
            (name) => runConnectRate(context, name),
            (name, result) => {
              report.connectRate[name] = result;
            },
          );
          break;
        case 'big-workspace': {
          const measured = options.targets.filter((name) => BIG_WORKSPACE_TARGETS.includes(name));
          if (measured.length < options.targets.length)
            log('big-workspace: n/a for bare Socket.IO and ws (no room list)');
          await perTarget(
            scenario,
            measured,
            (name) => runBigWorkspace(context, name),
            (name, result) => {
              report.bigWorkspace[name] = result;
            },
          );
          break;
        }
        case 'presence-churn': {
          const measured = options.targets.filter(hasPresence);
          if (measured.length < options.targets.length)
            log('presence-churn: n/a for bare Socket.IO and ws (no presence)');
          report.presenceChurn ??= {};
          const results = report.presenceChurn;
          await perTarget(
            scenario,
            measured,
            (name) => runPresenceChurn(context, name),
            (name, result) => {
              results[name] = result;
            },
          );
          break;
        }
        case 'reconnect-storm': {
          const measured = options.targets.filter(canStorm);
          if (measured.length < options.targets.length)
            log('reconnect-storm: n/a for ws (no Socket.IO)');
          const { rounds } = options.reconnectStorm;
          const byRound: StormResults[] = [];
          for (let round = 0; round < rounds; round++) {
            if (rounds > 1) log(`reconnect-storm: round ${round + 1} of ${rounds}`);
            // A different target first each round (the order rotates): a drift in the machine
            // falls on all alike.
            const first = round % measured.length;
            const order = [...measured.slice(first), ...measured.slice(0, first)];
            const results: StormResults = {};
            await perTarget(
              scenario,
              order,
              (name) => runReconnectStorm(context, name),
              (name, result) => {
                results[name] = result;
              },
            );
            byRound.push(results);
          }
          report.reconnectStorm = medianStormRound(byRound);
          if (rounds > 1) report.reconnectStormRounds = byRound;
          break;
        }
      }
      log(`  (${scenario}: ${Math.round((Date.now() - scenarioStart) / 1000)} s)`);
    }
    if (options.profileSeconds > 0) {
      // 75 % of the peaks this run found (or modest rates without them).
      const fanoutPeak = report.fanout.parley?.peak.deliveredPerSec;
      const manyRoomsPeak = report.manyRooms.parley?.peak.deliveredPerSec;
      const rates = {
        fanoutPerSec: fanoutPeak ? (0.75 * fanoutPeak) / options.fanout.receivers : 20,
        fanoutSameLoadPerSec: sameLoadRateFor(options, report.fanout.socketio),
        manyRoomsPerClientPerSec: manyRoomsPeak
          ? (0.75 * manyRoomsPeak) / (options.manyRooms.roomSize - 1) / options.manyRooms.clients
          : 1,
      };
      log(`profile: Parley, ${options.profileSeconds} s under each load`);
      const profileDir = join(runDir, 'profiles');
      mkdirSync(profileDir, { recursive: true });
      try {
        report.profiles = await profileParley(context, rates, profileDir);
      } catch (error) {
        report.errors.push(`profile: ${(error as Error).message}`);
      }
    }
  } finally {
    await targets.stopAll();
    await pool.stop();
  }

  const finishedAt = Date.now();
  report.finishedAt = new Date(finishedAt).toISOString();
  report.durationSeconds = Math.round((finishedAt - startedAt) / 100) / 10;
  report.machine.loadAverageAtEnd = currentLoadAverage();
  report.ratios = computeRatios(report);
  report.metricsCost = computeMetricsCost(report);
  report.goals = checkGoals(report);
  const markdown = renderMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  for (const dir of [runDir, out]) {
    writeFileSync(join(dir, dir === out ? 'latest.json' : 'report.json'), json);
    writeFileSync(join(dir, dir === out ? 'latest.md' : 'report.md'), markdown);
  }
  const charts = {
    ...presenceChurnCharts(report),
    ...reconnectStormCharts(report.reconnectStorm ?? {}),
    ...ceilingCharts(report.ceiling),
  };
  for (const [file, svg] of Object.entries(charts)) {
    for (const dir of [runDir, out]) writeFileSync(join(dir, file), svg);
  }
  log(`\n${markdown}`);
  for (const [load, profile] of Object.entries(report.profiles ?? {})) {
    const text = `## ${load}\n\n${renderProfile(profile)}`;
    writeFileSync(join(runDir, `profile-${load}.md`), text);
    log(text);
  }
  log(
    `results: ${join(runDir, 'report.json')} (also ${join(out, 'latest.json')}); server logs in ${runDir}`,
  );

  if (options.check || options.quick) {
    const problems = findProblems(report);
    if (problems.length > 0) {
      console.error(
        `\nthe harness did not produce sane figures:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
      return 1;
    }
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
