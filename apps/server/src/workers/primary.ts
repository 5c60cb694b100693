import cluster, { type Worker } from 'node:cluster';
import { createServer, type Socket } from 'node:net';
import type { ParleyConfig } from '../config';
import { LISTEN_BACKLOG } from '../http/listen-backlog';
import type { Logger } from '../logger';
import { handOver, readFirstBytes } from './handover';
import { isWorkerMessage, type ShutdownMessage } from './messages';
import { restartDelayMs } from './restart-delay';

/** How long a new connection may take to send its request line before it is handed over as is. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;
/** Connections held while no worker is ready (all restarting); past this, new ones are closed. */
const WAITING_MAX = 1024;
/** A worker that lived this long before dying was healthy: its backoff starts over. */
const HEALTHY_AFTER_MS = 30_000;
/** After the workers' own shutdown deadline, how long before the primary stops waiting for them. */
const EXIT_MARGIN_MS = 5000;

/** One of the PARLEY_WORKERS places: its current worker process, restarted when it dies. */
interface Slot {
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  startedAt: number;
  /** Deaths in a row, each soon after its start: the restart backoff grows with them. */
  crashes: number;
  restart: NodeJS.Timeout | undefined;
}

/**
 * The primary of PARLEY_WORKERS: forks the workers, listens on PORT and hands each connection to
 * one of them (the one its engine.io session id names, else the next in turn), restarts a worker
 * that dies, and on SIGTERM/SIGINT has every worker shut down gracefully before it exits. It
 * runs no Socket.IO and opens no store: everything else happens in the workers.
 */
export async function runPrimary(config: ParleyConfig, log: Logger): Promise<void> {
  const slots: Slot[] = Array.from({ length: config.workers.count }, (_, index) => ({
    index,
    worker: undefined,
    ready: false,
    startedAt: 0,
    crashes: 0,
    restart: undefined,
  }));
  const waiting: { socket: Socket; head: Buffer }[] = [];
  let listening = false;
  let stopping = false;
  let cleanExits = true;
  let turn = 0;
  let startedAll: () => void = () => {};
  let startFailed: (error: Error) => void = () => {};

  const listener = createServer({ pauseOnConnect: true }, (socket) => {
    void readFirstBytes(socket, FIRST_BYTES_TIMEOUT_MS).then((first) => {
      if (first) route(socket, first.head, first.workerId);
    });
  });

  function route(socket: Socket, head: Buffer, workerId: number | undefined): void {
    const worker = choose(workerId);
    if (worker) handOver(worker, socket, head);
    else if (waiting.length < WAITING_MAX) waiting.push({ socket, head });
    else socket.destroy();
  }

  /** The worker a session id names while it lives; otherwise (or no session) the next in turn. */
  function choose(workerId: number | undefined): Worker | undefined {
    // A worker whose channel is closing (dying, not yet exited) would only drop the socket.
    const ready = slots
      .filter((slot) => slot.ready && slot.worker?.isConnected())
      .map((slot) => slot.worker);
    const named = ready.find((worker) => worker?.id === workerId);
    if (named) return named;
    turn = (turn + 1) % Math.max(1, ready.length);
    return ready[turn];
  }

  function fork(slot: Slot): void {
    slot.restart = undefined;
    // The primary's own id (NODE_ID, or one made up once) is every worker's stem: one host's
    // workers read as one family, and a restarted worker takes over its predecessor's id.
    const worker = cluster.fork({
      NODE_ID: config.nodeId,
      PARLEY_WORKER_INDEX: String(slot.index),
    });
    Object.assign(slot, { worker, ready: false, startedAt: Date.now() });
    log.info({ worker: slot.index, pid: worker.process.pid }, 'worker started');
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message) || slot.worker !== worker) return;
      slot.ready = true;
      log.info({ worker: slot.index, pid: worker.process.pid }, 'worker ready');
      for (const { socket, head } of waiting.splice(0)) handOver(worker, socket, head);
      if (!listening && slots.every((each) => each.ready)) startedAll();
    });
    worker.on('exit', (code, signal) => exited(slot, worker, code, signal));
    // A message that could not reach a worker dying meanwhile: its exit is what counts, and
    // unheard, the error would end the primary and every other worker with it.
    worker.on('error', (error) => {
      log.warn({ err: error, worker: slot.index, pid: worker.process.pid }, 'worker channel error');
    });
  }

  function exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    Object.assign(slot, { worker: undefined, ready: false });
    const pid = worker.process.pid;
    if (stopping) {
      cleanExits &&= code === 0;
      log.info({ worker: slot.index, pid, code, signal }, 'worker exited');
      if (slots.every((each) => each.worker === undefined)) finish();
      return;
    }
    if (!listening) {
      startFailed(new Error(`worker ${slot.index} exited with ${signal ?? code} while starting`));
      return;
    }
    slot.crashes = Date.now() - slot.startedAt < HEALTHY_AFTER_MS ? slot.crashes + 1 : 1;
    const delayMs = restartDelayMs(slot.crashes);
    log.error({ worker: slot.index, pid, code, signal, restartInMs: delayMs }, 'worker died');
    slot.restart = setTimeout(() => fork(slot), delayMs);
  }

  function stop(why: Record<string, unknown>): void {
    if (stopping) return;
    stopping = true;
    log.info({ ...why, workers: slots.length }, 'shutting down the workers');
    for (const { socket } of waiting.splice(0)) socket.destroy();
    for (const slot of slots) {
      clearTimeout(slot.restart);
      if (slot.worker?.isConnected()) {
        slot.worker.send({ type: 'parley:shutdown' } satisfies ShutdownMessage);
      }
    }
    // The workers drain as one node would (/readyz 503, still serving): connections keep being
    // routed to them until the drain is over, then the port closes.
    setTimeout(() => listener.close(), config.shutdownDrainMs).unref();
    const deadlineMs =
      config.shutdownDrainMs + config.presence.graceMs + config.shutdownTimeoutMs + EXIT_MARGIN_MS;
    setTimeout(() => {
      log.error({ deadlineMs }, 'workers did not exit in time; killing them');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }, deadlineMs).unref();
    if (slots.every((slot) => slot.worker === undefined)) finish();
  }

  function finish(): void {
    listener.close();
    log.info({ clean: cleanExits }, 'shut down');
    process.exit(cleanExits ? 0 : 1);
  }

  process.on('SIGTERM', (signal) => stop({ signal }));
  process.on('SIGINT', (signal) => stop({ signal }));

  try {
    await new Promise<void>((resolve, reject) => {
      startedAll = resolve;
      startFailed = reject;
      for (const slot of slots) fork(slot);
    });
  } catch (error) {
    log.error({ err: error }, 'a worker could not start; stopping the others');
    cleanExits = false;
    stop({ reason: 'startup failed' });
    return;
  }
  if (stopping) return;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(config.http.port, config.http.host, LISTEN_BACKLOG, () => {
      listener.off('error', reject);
      // From now on an accept that fails (out of file descriptors) costs that connection, not
      // the primary: unheard, the error would end it and every worker with it.
      listener.on('error', (error) => log.error({ err: error }, 'accepting a connection failed'));
      listening = true;
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : config.http.port;
      log.info({ port, host: config.http.host, workers: slots.length }, 'parley listening');
      resolve();
    });
  });
}
