import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  command,
  freePort,
  type RedisNode,
  type RedisProcess,
  redisProcess,
  waitFor,
} from './redis-process';

/**
 * A Redis Cluster of the test's own: masters and their replicas, each a real redis-server on a
 * free loopback port, so that a test can crash a master and watch its replica take its slots
 * over, as production's would.
 */
export interface TestRedisCluster {
  /** Every node, as started (roles change on failover). */
  rootNodes: RedisNode[];
  /** The same as `redis://` URLs, for `createCluster({ rootNodes: urls.map((url) => ({ url })) })`. */
  urls: string[];
  /** The master that serves a key's slot now, as the cluster answers it. */
  masterOf(key: string): Promise<RedisNode>;
  /** SIGKILLs one node: no goodbye to anyone, like a crash. */
  killNode(port: number): Promise<void>;
  /** SIGKILLs the master that serves a key's slot; answers which node it was. */
  killMasterOf(key: string): Promise<RedisNode>;
  /**
   * Resolves once every running node says the cluster is ok and has every slot served by a
   * running master (so, after a kill, once a replica has taken the dead master's slots over).
   * `ms`: since the last kill (else since this call).
   */
  waitForClusterOk(timeoutMs?: number): Promise<{ ms: number }>;
  /**
   * Starts a killed node again (on its port, with its own cluster configuration): an old
   * master rejoins as a replica of the one that took its slots. Resolves once it is in sync.
   * Throws if the node's slots have not failed over yet (it keeps no data: it would serve them
   * empty); call it after `waitForClusterOk()`.
   */
  restart(port: number): Promise<void>;
  /** Kills every node and removes their files. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** How long a node may not answer before the others count it failed (and fail over). */
  nodeTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const SLOTS = 16384;
const run = promisify(execFile);

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free as well, and neither of them one
 * that `taken` (the ports and bus ports chosen so far, not listened on yet) holds.
 */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort();
    const bus = port + 10_000;
    if (bus > 65_535 || taken.has(port) || taken.has(bus) || !(await isFree(bus))) continue;
    taken.add(port);
    taken.add(bus);
    return port;
  }
  throw new Error('no free port with a free cluster bus port');
}

interface ClusterNodeLine {
  port: number;
  flags: string[];
  /** Slot ranges served, as [first, last]; empty for a replica. */
  slots: [number, number][];
}

/** CLUSTER NODES: one line a node, `id ip:port@bus flags master ping pong epoch link slot…`. */
function parseClusterNodes(reply: unknown): ClusterNodeLine[] {
  if (typeof reply !== 'string') return [];
  return reply
    .trim()
    .split('\n')
    .map((line) => {
      const [, address = '', flags = '', , , , , , ...slots] = line.split(' ');
      return {
        port: Number(address.split('@')[0]?.split(':')[1]),
        flags: flags.split(','),
        slots: slots
          // Slots being migrated show as `[slot->-id]`: not served yet, not ours to count.
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [first, last = first] = slot.split('-').map(Number);
            return [first, last] as [number, number];
          }),
      };
    });
}

function clusterInfo(reply: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (typeof reply !== 'string') return record;
  for (const line of reply.split('\r\n')) {
    const [name, value] = line.split(':');
    if (name && value !== undefined) record[name] = value;
  }
  return record;
}

export async function startRedisCluster({
  masters = 3,
  replicasPerMaster = 1,
  nodeTimeoutMs = 1000,
}: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((each) => each.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  let lastKill: number | undefined;

  const alive = () => processes.filter((each) => each.alive);
  const nodeOf = (each: RedisProcess): RedisNode => ({ host: HOST, port: each.port });
  const processOf = (port: number) => {
    const found = processes.find((each) => each.port === port);
    if (!found) throw new Error(`no cluster node on ${port}`);
    return found;
  };

  /** Whether this node says the cluster is ok, every slot served by a running master. */
  const servesEverySlot = async (node: RedisNode): Promise<boolean> => {
    const info = clusterInfo(await command(node, ['CLUSTER', 'INFO']));
    if (info.cluster_state !== 'ok' || Number(info.cluster_slots_ok) !== SLOTS) return false;
    let served = 0;
    for (const line of parseClusterNodes(await command(node, ['CLUSTER', 'NODES']))) {
      if (!line.flags.includes('master') || line.flags.includes('fail')) continue;
      // A node killed a moment ago is still believed up until node-timeout has passed.
      if (line.slots.length > 0 && !processOf(line.port).alive) return false;
      for (const [first, last] of line.slots) served += last - first + 1;
    }
    return served === SLOTS;
  };

  const waitForClusterOk = async (timeoutMs = 15_000) => {
    const since = lastKill ?? Date.now();
    await waitFor('every node to see the cluster ok', timeoutMs, async () => {
      for (const each of alive()) if (!(await servesEverySlot(nodeOf(each)))) return false;
      return true;
    });
    return { ms: Date.now() - since };
  };

  /** Whether every replica a running node lists has its link to its master up. */
  const replicasInSync = async (): Promise<boolean> => {
    for (const each of alive()) {
      const role = await command(nodeOf(each), ['ROLE']);
      if (!Array.isArray(role)) return false;
      if (role[0] === 'slave' && role[3] !== 'connected') return false;
    }
    return true;
  };

  /** This node's view of the nodes, or undefined when it does not answer. */
  const nodesSeenBy = async (each: RedisProcess) => {
    const reply = await command(nodeOf(each), ['CLUSTER', 'NODES']);
    return typeof reply === 'string' ? parseClusterNodes(reply) : undefined;
  };

  const masterOf = async (key: string): Promise<RedisNode> => {
    // A node's view may lag behind a failover: the first that names a running master is right.
    for (const each of alive()) {
      const slot = await command(nodeOf(each), ['CLUSTER', 'KEYSLOT', key]);
      const lines = await nodesSeenBy(each);
      if (typeof slot !== 'number' || !lines) continue;
      const owner = lines.find(
        (line) =>
          line.flags.includes('master') &&
          line.slots.some(([first, last]) => first <= slot && slot <= last),
      );
      if (owner && processes.some((other) => other.port === owner.port && other.alive)) {
        return { host: HOST, port: owner.port };
      }
    }
    throw new Error(`no running node knows a running master serving ${key}`);
  };

  const killNode = async (port: number) => {
    await processOf(port).kill();
    lastKill = Date.now();
  };

  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
      const port = await freeClusterPort(taken);
      processes.push(
        redisProcess(port, [
          '--port',
          String(port),
          '--bind',
          HOST,
          '--dir',
          dir,
          '--save',
          '',
          // Its own file name in the shared directory: a replica's full sync lands in it.
          '--dbfilename',
          `dump-${port}.rdb`,
          '--appendonly',
          'no',
          '--cluster-enabled',
          'yes',
          // The node's identity and its view of the cluster: kept, so a restarted node rejoins.
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          // A replica syncs at once instead of waiting 5 s for others to share a diskless transfer.
          '--repl-diskless-sync-delay',
          '0',
        ]),
      );
    }
    await Promise.all(processes.map((each) => each.start()));
    // redis-cli makes the first `masters` nodes masters and spreads the rest as their replicas.
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...processes.map((each) => `${HOST}:${each.port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await waitFor('the cluster to form', 15_000, async () => {
      for (const each of processes) {
        const info = clusterInfo(await command(nodeOf(each), ['CLUSTER', 'INFO']));
        if (Number(info.cluster_known_nodes) !== processes.length) return false;
        if (!(await servesEverySlot(nodeOf(each)))) return false;
      }
      // A replica not yet in sync could not take over: a failover test would wait in vain.
      return replicasInSync();
    });

    return {
      rootNodes: processes.map(nodeOf),
      urls: processes.map((each) => `redis://${HOST}:${each.port}`),
      masterOf,
      killNode,
      async killMasterOf(key) {
        const master = await masterOf(key);
        await killNode(master.port);
        return master;
      },
      waitForClusterOk,
      async restart(port) {
        // The nodes keep no data on disk: a master whose slots were not taken over yet would
        // come back empty and serve them so, losing every write it had.
        for (const each of alive()) {
          const self = (await nodesSeenBy(each))?.find((line) => line.port === port);
          if (self && self.slots.length > 0) {
            throw new Error(
              `${port} still serves slots as ${each.port} sees it: restart it once they failed over (waitForClusterOk)`,
            );
          }
        }
        await processOf(port).start();
        const node = { host: HOST, port };
        // Right after starting, an old master still believes itself one, until it hears who took
        // its slots: rejoined once every running node (itself too) lists it as a replica that
        // has not failed, and it is in sync with its master.
        await waitFor(`${port} to rejoin as a replica`, 15_000, async () => {
          for (const each of alive()) {
            if (!(await servesEverySlot(nodeOf(each)))) return false;
            const self = (await nodesSeenBy(each))?.find((line) => line.port === port);
            if (!self?.flags.includes('slave')) return false;
            if (self.flags.includes('fail') || self.flags.includes('fail?')) return false;
          }
          const role = await command(node, ['ROLE']);
          return Array.isArray(role) && role[0] === 'slave' && role[3] === 'connected';
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
