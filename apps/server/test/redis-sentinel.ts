import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  command,
  freePort,
  type RedisNode,
  type RedisProcess,
  redisProcess,
  waitFor,
} from './redis-process';

export type { RedisNode } from './redis-process';

const HOST = '127.0.0.1';

/**
 * A Sentinel group of the test's own: a master, its replicas and three sentinels, each a real
 * redis-server on a free loopback port, so that a test can crash the master and watch the
 * sentinels promote a replica, as production's would.
 */
export interface TestSentinelGroup {
  /** The name the sentinels monitor the master by (`createSentinel({ name })`). */
  name: string;
  /** For `createSentinel({ sentinelRootNodes })`. */
  sentinels: RedisNode[];
  /** The data nodes, master first, as they were started (their roles change on failover). */
  nodes: RedisNode[];
  /** The master, as a sentinel answers it. */
  master(): Promise<RedisNode>;
  /** SIGKILLs the current master (no goodbye to anyone, like a crash); answers which it was. */
  killMaster(): Promise<RedisNode>;
  /**
   * Resolves once every sentinel names a master other than `old` and that node answers ROLE as
   * a master. `ms`: since `old` was killed by `killMaster()` (else since this call).
   */
  waitForFailover(
    old: RedisNode,
    timeoutMs?: number,
  ): Promise<{ newMaster: RedisNode; ms: number }>;
  /**
   * Starts a killed data node again, on its port and with its own settings (an old master
   * comes back believing it is the master), and resolves once the sentinels have made it a
   * replica of the current master and it is in sync (or, when it is still the master the
   * sentinels name, as there was no replica to promote, once it answers as one). `ms`: how
   * long that took; about 10 s for an old master, as sentinels wait 8 s before demoting one.
   */
  restart(node: RedisNode): Promise<{ ms: number }>;
  /** Kills every process and removes their files. */
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  replicas?: number;
  sentinels?: number;
  /** How long a master must not answer before a sentinel believes it down. */
  downAfterMs?: number;
  /**
   * Sentinel's failover-timeout: a failover that has not promoted a replica by then is given
   * up, and twice this is how long the sentinels wait before trying the same master again.
   */
  failoverTimeoutMs?: number;
  /** An append-only file on every data node: synced on every write (`true`, 'always') or once a second. */
  persistent?: boolean | 'always' | 'everysec';
}

/** A RESP2 flat list of alternating names and values (as SENTINEL MASTER answers), as a record. */
function fields(reply: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(reply)) return record;
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}

const sameNode = (a: RedisNode, b: RedisNode) => a.host === b.host && a.port === b.port;

/** Whether a node answers ROLE as a master. */
async function isMaster(node: RedisNode): Promise<boolean> {
  const role = await command(node, ['ROLE']);
  return Array.isArray(role) && role[0] === 'master';
}

/** Whether a node is a replica of `master` with its replication link up. */
async function isInSyncReplicaOf(node: RedisNode, master: RedisNode): Promise<boolean> {
  // ROLE of a replica: ['slave', master host, master port, link state, offset].
  const role = await command(node, ['ROLE']);
  return (
    Array.isArray(role) &&
    role[0] === 'slave' &&
    Number(role[2]) === master.port &&
    role[3] === 'connected'
  );
}

export async function startSentinelGroup({
  replicas = 1,
  sentinels = 3,
  downAfterMs = 1000,
  failoverTimeoutMs = 3000,
  persistent = false,
}: SentinelGroupOptions = {}): Promise<TestSentinelGroup> {
  const name = 'parley';
  const dir = mkdtempSync(join(tmpdir(), 'parley-sentinel-'));
  const appendfsync = persistent === true ? 'always' : persistent;
  const dataNode = async (index: number, replicaOf?: number) => {
    const port = await freePort();
    const nodeDir = join(dir, `node-${index}`);
    mkdirSync(nodeDir);
    return redisProcess(port, [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      nodeDir,
      '--save',
      '',
      ...(appendfsync
        ? ['--appendonly', 'yes', '--appendfsync', appendfsync]
        : ['--appendonly', 'no']),
      // A replica syncs at once instead of waiting 5 s for others to share a diskless transfer.
      '--repl-diskless-sync-delay',
      '0',
      ...(replicaOf === undefined ? [] : ['--replicaof', HOST, String(replicaOf)]),
    ]);
  };

  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((each) => each.kill()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const master = await dataNode(0);
    processes.push(master);
    await master.start();
    for (let i = 1; i <= replicas; i++) {
      const replica = await dataNode(i, master.port);
      processes.push(replica);
      await replica.start();
    }
    const masterNode = { host: HOST, port: master.port };
    // In sync before the sentinels start: their first INFO of the master then lists every
    // replica, instead of the next one ten seconds later.
    for (const replica of processes.slice(1)) {
      const node = { host: HOST, port: replica.port };
      await waitFor(`replica ${replica.port} to sync`, 10_000, () =>
        isInSyncReplicaOf(node, masterNode),
      );
    }

    const sentinelNodes: RedisNode[] = [];
    const sentinelProcesses: RedisProcess[] = [];
    for (let i = 0; i < sentinels; i++) {
      const port = await freePort();
      // Sentinel rewrites its configuration file as it learns the group: one of its own, writable.
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          // What the sentinels saw and decided, for a failing test to be understood.
          `logfile ${join(dir, `sentinel-${i}.log`)}`,
          `sentinel monitor ${name} ${HOST} ${master.port} ${Math.floor(sentinels / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${name} ${replicas}`,
          '',
        ].join('\n'),
      );
      const sentinel = redisProcess(port, [conf, '--sentinel']);
      sentinelProcesses.push(sentinel);
      processes.push(sentinel);
      sentinelNodes.push({ host: HOST, port });
    }
    await Promise.all(sentinelProcesses.map((each) => each.start()));

    // Ready when every sentinel sees the master up, every replica, and every other sentinel
    // (they find each other through the master's hello channel, every 2 s): only then can a
    // majority agree on a failover.
    await waitFor('the sentinels to agree on the group', 15_000, async () => {
      for (const sentinel of sentinelNodes) {
        const seen = fields(await command(sentinel, ['SENTINEL', 'MASTER', name]));
        if (Number(seen.port) !== master.port || seen.flags !== 'master') return false;
        if (Number(seen['num-slaves']) !== replicas) return false;
        if (Number(seen['num-other-sentinels']) !== sentinels - 1) return false;
        const replicaList = await command(sentinel, ['SENTINEL', 'REPLICAS', name]);
        if (!Array.isArray(replicaList)) return false;
        if (!replicaList.every((replica) => fields(replica).flags === 'slave')) return false;
        if ((await command(sentinel, ['SENTINEL', 'CKQUORUM', name])) === undefined) return false;
      }
      return true;
    });

    const killedAt = new Map<number, number>();
    const processOf = (node: RedisNode) => {
      const found = processes.find((each) => each.port === node.port);
      if (!found || sentinelProcesses.includes(found)) throw new Error(`no data node ${node.port}`);
      return found;
    };
    /** The master as the sentinels that answer name it, when they all name the same one. */
    const agreedMaster = async (): Promise<RedisNode | undefined> => {
      let agreed: RedisNode | undefined;
      for (const sentinel of sentinelNodes) {
        const reply = await command(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]);
        if (!Array.isArray(reply)) continue;
        const named = { host: String(reply[0]), port: Number(reply[1]) };
        if (agreed && !sameNode(agreed, named)) return undefined;
        agreed = named;
      }
      return agreed;
    };
    const currentMaster = async () => {
      for (const sentinel of sentinelNodes) {
        const reply = await command(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]);
        if (Array.isArray(reply)) return { host: String(reply[0]), port: Number(reply[1]) };
      }
      throw new Error('no sentinel answers');
    };

    return {
      name,
      sentinels: sentinelNodes,
      nodes: processes
        .filter((each) => !sentinelProcesses.includes(each))
        .map((each) => ({ host: HOST, port: each.port })),
      master: currentMaster,
      async killMaster() {
        const node = await currentMaster();
        await processOf(node).kill();
        killedAt.set(node.port, Date.now());
        return node;
      },
      async waitForFailover(old, timeoutMs = 15_000) {
        const since = killedAt.get(old.port) ?? Date.now();
        let newMaster: RedisNode | undefined;
        await waitFor(`a failover away from ${old.port}`, timeoutMs, async () => {
          const named = await agreedMaster();
          if (!named || sameNode(named, old) || !(await isMaster(named))) return false;
          newMaster = named;
          return true;
        });
        if (!newMaster) throw new Error('unreachable: waitFor resolved without a master');
        return { newMaster, ms: Date.now() - since };
      },
      async restart(node) {
        const started = Date.now();
        await processOf(node).start();
        // A sentinel turns a returning old master into a replica only after it has reported
        // itself a master for 8 s (and at its next INFO, every 10 s): allow for that.
        await waitFor(`${node.port} to rejoin the group`, 30_000, async () => {
          const master = await agreedMaster();
          if (master === undefined) return false;
          // With no replica to promote, the old master is still the master: back as one.
          if (sameNode(master, node)) return isMaster(node);
          return isInSyncReplicaOf(node, master);
        });
        return { ms: Date.now() - started };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
