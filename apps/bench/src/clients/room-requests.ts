import { ClientEvent } from '@parley/protocol';
import type { Histogram } from 'hdr-histogram-js';
import { encodeHistogram, newLatencyHistogram } from '../latency';
import type { CreateRoomsReport, ListKindReport, ListQuery } from './commands';
import type { RawSocketIoClient } from './raw-socketio';

/**
 * The rooms scenario's requests, run inside a load-generator process by clients that joined no
 * room: room makers, which create rooms by joining and leaving them, and lobbies, which ask
 * `room:list` at a steady rate.
 */

/**
 * Creates every room in `names` by joining it and leaving it again, `window` joins in flight per
 * maker. A leave goes out on the join's acknowledgement, before the maker's next join, so the
 * server frees the room slot first: a maker never holds more than `window` rooms, which must
 * stay within the server's rooms per connection.
 */
export function createRooms(
  makers: readonly RawSocketIoClient[],
  names: readonly string[],
  window: number,
  timeoutMs: number,
): Promise<CreateRoomsReport> {
  const startedAt = performance.now();
  const report: CreateRoomsReport = { created: 0, failed: 0, errors: [], elapsedMs: 0 };
  const refuse = (why: string) => {
    report.failed++;
    if (report.errors.length < 5) report.errors.push(why.slice(0, 300));
  };
  let next = 0;
  let unanswered = 0;
  let settled = false;
  return new Promise((resolve) => {
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      report.elapsedMs = performance.now() - startedAt;
      resolve(report);
    };
    const timer = setTimeout(() => {
      for (let i = 0; i < unanswered; i++) refuse(`no answer within ${timeoutMs} ms`);
      finish();
    }, timeoutMs);
    const answered = () => {
      unanswered--;
      if (unanswered === 0 && next >= names.length) finish();
    };
    const joinNext = (maker: RawSocketIoClient) => {
      if (settled || next >= names.length || !maker.connected) return;
      const room = names[next++] as string;
      unanswered++;
      maker.request(ClientEvent.RoomJoin, JSON.stringify({ room }), (joinAck, joined) => {
        if (joined) {
          report.created++;
          unanswered++;
          maker.request(ClientEvent.RoomLeave, JSON.stringify({ room }), (leaveAck, left) => {
            if (!left) refuse(`leave refused: ${leaveAck.toString()}`);
            answered();
          });
        } else {
          refuse(`join refused: ${joinAck.toString()}`);
        }
        joinNext(maker);
        answered();
      });
    };
    for (const maker of makers) for (let lane = 0; lane < window; lane++) joinNext(maker);
    if (unanswered === 0) {
      // No maker connected, or nothing to create.
      for (; next < names.length; next++) refuse('no connected room maker');
      finish();
    }
  });
}

const TICK_MS = 5;

interface KindStats {
  answered: number;
  failed: number;
  skipped: number;
  bytes: number;
  latency: Histogram;
}

/**
 * Lobbies asking `room:list` at a fixed rate each, spread evenly over time, cycling through
 * `queries`. Like the senders, a lobby with `window` lists unanswered skips its turn (counted).
 */
export class ListLoad {
  private timer?: NodeJS.Timeout;
  private readonly kinds = new Map<string, KindStats>();

  setRate(
    lobbies: readonly RawSocketIoClient[],
    perLobbyPerSecond: number,
    window: number,
    queries: readonly ListQuery[],
  ): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (perLobbyPerSecond <= 0 || lobbies.length === 0 || queries.length === 0) return;
    const inFlight = lobbies.map(() => 0);
    const frames = queries.map((query) => ({
      stats: this.statsOf(query.kind),
      payload: JSON.stringify(query.payload),
    }));
    const perSecond = perLobbyPerSecond * lobbies.length;
    const startedAt = performance.now();
    let due = 0;
    let turn = 0;
    this.timer = setInterval(() => {
      const shouldHave = Math.floor(((performance.now() - startedAt) / 1000) * perSecond);
      const count = shouldHave - due;
      due = shouldHave;
      for (let i = 0; i < count; i++, turn++) {
        const index = turn % lobbies.length;
        const lobby = lobbies[index] as RawSocketIoClient;
        const { stats, payload } = frames[turn % frames.length] as (typeof frames)[number];
        if (!lobby.connected || (inFlight[index] as number) >= window) {
          stats.skipped++;
          continue;
        }
        inFlight[index] = (inFlight[index] as number) + 1;
        const sentAt = performance.now();
        lobby.request(ClientEvent.RoomList, payload, (ack, ok) => {
          inFlight[index] = (inFlight[index] as number) - 1;
          if (!ok) {
            stats.failed++;
            return;
          }
          stats.answered++;
          stats.bytes += ack.length;
          stats.latency.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
        });
      }
    }, TICK_MS);
  }

  report(resetLatency: boolean): ListKindReport[] {
    return [...this.kinds].map(([kind, stats]) => {
      const { latency, ...counts } = stats;
      const report = { kind, ...counts, latency: encodeHistogram(latency) };
      if (resetLatency) latency.reset();
      return report;
    });
  }

  private statsOf(kind: string): KindStats {
    let stats = this.kinds.get(kind);
    if (!stats) {
      stats = { answered: 0, failed: 0, skipped: 0, bytes: 0, latency: newLatencyHistogram() };
      this.kinds.set(kind, stats);
    }
    return stats;
  }
}
