import { ClientEvent } from '@parley/protocol';
import type { ChurnReport } from './commands';
import { type ClientSpec, RawSocketIoClient, type WorkerCounters } from './raw-socketio';

/**
 * Presence churn, inside one load-generator process: fresh clients, each with a user id of its
 * own, connect and join a room at a steady rate and leave it `lifetimeMs` later, so the room
 * stays about its size while the server announces every arrival and departure. Every other one
 * leaves with `room:leave` (then disconnects), the rest just disconnect: both ways a user goes.
 */

const TICK_MS = 20;
const JOIN_TIMEOUT_MS = 15_000;

export interface ChurnPlan {
  urls: string[];
  workspace: string;
  room: string;
  joinsPerSec: number;
  lifetimeMs: number;
  /** Source addresses to take in turn. */
  localAddresses: string[];
}

export class Churn {
  private timer?: NodeJS.Timeout;
  private readonly live = new Set<RawSocketIoClient>();
  /** Sent `room:leave`, awaiting its answer before disconnecting. */
  private readonly leaving = new Set<RawSocketIoClient>();
  private readonly leaveTimers = new Set<NodeJS.Timeout>();
  private readonly report: ChurnReport = { started: 0, joined: 0, failed: 0, left: 0, errors: [] };
  /** Makes user ids unique across phases, targets and processes. */
  private readonly tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  private sequence = 0;

  constructor(
    private readonly counters: WorkerCounters,
    private readonly mintToken: (userId: string) => Promise<string>,
  ) {}

  start(plan: ChurnPlan): void {
    this.stop();
    if (plan.joinsPerSec <= 0) return;
    const startedAt = performance.now();
    let due = 0;
    this.timer = setInterval(() => {
      const shouldHave = Math.floor(((performance.now() - startedAt) / 1000) * plan.joinsPerSec);
      const count = Math.min(shouldHave - due, 100);
      due = shouldHave;
      for (let i = 0; i < count; i++) this.arrive(plan);
    }, TICK_MS);
  }

  /** Stops arriving; whoever is still in the room leaves now. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const timer of this.leaveTimers) clearTimeout(timer);
    this.leaveTimers.clear();
    for (const client of [...this.live, ...this.leaving]) client.close();
    this.live.clear();
    this.leaving.clear();
  }

  stats(): ChurnReport {
    return { ...this.report, errors: [...this.report.errors] };
  }

  private arrive(plan: ChurnPlan): void {
    const index = this.sequence++;
    const spec: ClientSpec = {
      url: plan.urls[index % plan.urls.length] as string,
      workspace: plan.workspace,
      room: plan.room,
      userId: `churn-${this.tag}-${index}`,
      probe: false,
      sends: false,
      localAddress: plan.localAddresses[index % plan.localAddresses.length],
    };
    this.report.started++;
    this.mintToken(spec.userId)
      .then(async (token) => {
        const client = new RawSocketIoClient(spec, token, this.counters);
        try {
          await client.ready(JOIN_TIMEOUT_MS);
        } catch (error) {
          client.close();
          throw error;
        }
        if (this.timer === undefined) {
          client.close(); // stopped while it was joining
          return;
        }
        this.report.joined++;
        this.live.add(client);
        const timer = setTimeout(() => {
          this.leaveTimers.delete(timer);
          this.leave(client, plan.room, index % 2 === 0);
        }, plan.lifetimeMs);
        this.leaveTimers.add(timer);
      })
      .catch((error: unknown) => {
        this.report.failed++;
        if (this.report.errors.length < 5) this.report.errors.push(String(error).slice(0, 300));
      });
  }

  private leave(client: RawSocketIoClient, room: string, withLeave: boolean): void {
    if (!this.live.delete(client)) return;
    this.report.left++;
    if (!withLeave || !client.connected) {
      client.close();
      return;
    }
    this.leaving.add(client);
    client.request(ClientEvent.RoomLeave, JSON.stringify({ room }), () => {
      this.leaving.delete(client);
      client.close();
    });
  }
}
