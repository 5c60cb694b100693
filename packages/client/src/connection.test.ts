import { CloseReason, ErrorCode, errorBody } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConnectionEvent,
  type ConnectionState,
  connectionStep,
  connectTimeout,
  initialConnection,
  retryDelay,
} from './connection';

const refusal = (code: ErrorCode, active = false): ConnectionEvent => ({
  type: 'connectError',
  error: errorBody(code, code),
  refusedByServer: true,
  active,
});

/** An attempt that got no handshake within its connect timeout (socket.io-client's error). */
const timeout: ConnectionEvent = {
  type: 'connectError',
  error: errorBody(ErrorCode.Unavailable, 'timeout'),
  refusedByServer: false,
  active: true,
  timedOut: true,
};

/** Every event the machine knows, by a short name. */
const events = {
  open: { type: 'open' },
  close: { type: 'close' },
  connected: { type: 'connected' },
  'client disconnect': { type: 'disconnected', reason: 'io client disconnect' },
  'server disconnect': { type: 'disconnected', reason: 'io server disconnect' },
  'transport close': { type: 'disconnected', reason: 'transport close' },
  unauthorized: refusal(ErrorCode.Unauthorized),
  forbidden: refusal(ErrorCode.Forbidden),
  'unavailable refusal': refusal(ErrorCode.Unavailable),
  'not_found refusal': refusal(ErrorCode.NotFound),
  unreachable: {
    type: 'connectError',
    error: errorBody(ErrorCode.Unavailable, 'xhr poll error'),
    refusedByServer: false,
    active: true,
  },
  renewed: { type: 'renewed' },
  renewFailed: { type: 'renewFailed', error: null },
  'server:shutdown': { type: 'server:shutdown' },
  'connection:closing': { type: 'connection:closing', reason: CloseReason.TokenExpired },
  'online, socket down': { type: 'online', connected: false },
  'online, socket up': { type: 'online', connected: true },
  offline: { type: 'offline' },
} satisfies Record<string, ConnectionEvent>;
type EventName = keyof typeof events;

function run(...names: EventName[]): ConnectionState {
  return names.reduce(
    (state, name) => connectionStep(state, events[name]).state,
    initialConnection(),
  );
}

/** The states, each reached from the start by the events that lead there. */
const states = {
  connecting: run('open'),
  connected: run('open', 'connected'),
  reconnecting: run('open', 'connected', 'transport close'),
  renewing: run('open', 'connected', 'transport close', 'unauthorized'),
  renewed: run('open', 'connected', 'transport close', 'unauthorized', 'renewed'),
  'refused unauthorized': run(
    'open',
    'connected',
    'transport close',
    'unauthorized',
    'renewed',
    'unauthorized',
  ),
  'refused forbidden': run('open', 'forbidden'),
  closed: run('open', 'connected', 'close'),
  'browser offline': run('open', 'connected', 'offline'),
} satisfies Record<string, ConnectionState>;
type StateName = keyof typeof states;

/**
 * What each event does in each state: `status refused effects` ("-" for none), or `stay` when
 * the state is the same object. Written out by hand from the rules, one row per event.
 */
const expected: Record<EventName, Record<StateName, string>> = {
  open: {
    connecting: 'connecting - connect',
    connected: 'stay',
    reconnecting: 'reconnecting - connect',
    renewing: 'stay',
    renewed: 'reconnecting - connect',
    'refused unauthorized': 'reconnecting - connect',
    'refused forbidden': 'connecting - connect',
    closed: 'reconnecting - connect',
    'browser offline': 'reconnecting - connect',
  },
  close: {
    connecting: 'offline - -',
    connected: 'offline - -',
    reconnecting: 'offline - -',
    renewing: 'offline - -',
    renewed: 'offline - -',
    'refused unauthorized': 'offline unauthorized -',
    'refused forbidden': 'offline forbidden -',
    closed: 'offline - -',
    'browser offline': 'offline - -',
  },
  connected: {
    connecting: 'connected - -',
    connected: 'connected - -',
    reconnecting: 'connected - -',
    renewing: 'connected - -',
    renewed: 'connected - -',
    'refused unauthorized': 'connected - -',
    'refused forbidden': 'connected - -',
    closed: 'connected - -',
    'browser offline': 'connected - -',
  },
  'client disconnect': {
    connecting: 'offline - -',
    connected: 'offline - -',
    reconnecting: 'offline - -',
    renewing: 'offline - -',
    renewed: 'offline - -',
    'refused unauthorized': 'offline unauthorized -',
    'refused forbidden': 'offline forbidden -',
    closed: 'offline - -',
    'browser offline': 'offline - -',
  },
  'server disconnect': {
    connecting: 'reconnecting - connect',
    connected: 'reconnecting - connect',
    reconnecting: 'reconnecting - connect',
    renewing: 'reconnecting - connect',
    renewed: 'reconnecting - connect',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - connect',
  },
  'transport close': {
    connecting: 'reconnecting - -',
    connected: 'reconnecting - -',
    reconnecting: 'reconnecting - -',
    renewing: 'reconnecting - -',
    renewed: 'reconnecting - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - -',
  },
  unauthorized: {
    connecting: 'connecting - renew',
    connected: 'reconnecting - renew',
    reconnecting: 'reconnecting - renew',
    renewing: 'stay',
    renewed: 'offline unauthorized -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - renew',
  },
  forbidden: {
    connecting: 'offline forbidden -',
    connected: 'offline forbidden -',
    reconnecting: 'offline forbidden -',
    renewing: 'offline forbidden -',
    renewed: 'offline forbidden -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'offline forbidden -',
  },
  'unavailable refusal': {
    connecting: 'connecting - retryLater',
    connected: 'reconnecting - retryLater',
    reconnecting: 'reconnecting - retryLater',
    renewing: 'reconnecting - retryLater',
    renewed: 'reconnecting - retryLater',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - retryLater',
  },
  'not_found refusal': {
    connecting: 'offline - -',
    connected: 'offline - -',
    reconnecting: 'offline - -',
    renewing: 'offline - -',
    renewed: 'offline - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'offline - -',
  },
  unreachable: {
    connecting: 'connecting - -',
    connected: 'reconnecting - -',
    reconnecting: 'reconnecting - -',
    renewing: 'reconnecting - -',
    renewed: 'reconnecting - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - -',
  },
  renewed: {
    connecting: 'stay',
    connected: 'stay',
    reconnecting: 'stay',
    renewing: 'reconnecting - connect',
    renewed: 'stay',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'stay',
  },
  renewFailed: {
    connecting: 'stay',
    connected: 'stay',
    reconnecting: 'stay',
    renewing: 'offline unauthorized -',
    renewed: 'stay',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'stay',
  },
  'server:shutdown': {
    connecting: 'stay',
    connected: 'reconnecting - -',
    reconnecting: 'stay',
    renewing: 'stay',
    renewed: 'stay',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'stay',
  },
  'connection:closing': {
    connecting: 'reconnecting - -',
    connected: 'reconnecting - -',
    reconnecting: 'reconnecting - -',
    renewing: 'reconnecting - -',
    renewed: 'reconnecting - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - -',
  },
  'online, socket down': {
    connecting: 'connecting - reconnectNow',
    connected: 'reconnecting - reconnectNow',
    reconnecting: 'reconnecting - reconnectNow',
    renewing: 'stay',
    renewed: 'reconnecting - reconnectNow',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'reconnecting - reconnectNow',
  },
  'online, socket up': {
    connecting: 'connected - -',
    connected: 'stay',
    reconnecting: 'connected - -',
    renewing: 'stay',
    renewed: 'connected - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'connected - -',
  },
  offline: {
    connecting: 'offline - -',
    connected: 'offline - -',
    reconnecting: 'offline - -',
    renewing: 'offline - -',
    renewed: 'offline - -',
    'refused unauthorized': 'stay',
    'refused forbidden': 'stay',
    closed: 'stay',
    'browser offline': 'stay',
  },
};

const cases = Object.entries(expected).flatMap(([event, row]) =>
  Object.entries(row).map(([state, outcome]) => ({
    state: state as StateName,
    event: event as EventName,
    outcome,
  })),
);

describe('the connection state machine', () => {
  it('starts connecting, with nothing refused', () => {
    expect(initialConnection()).toMatchObject({ status: 'connecting', refused: null });
    expect(states.renewing).toMatchObject({ renewing: true, status: 'reconnecting' });
    expect(states['refused unauthorized'].error?.code).toBe('unauthorized');
  });

  it.each(cases)('$state + $event → $outcome', ({ state, event, outcome }) => {
    const before = states[state];
    const { state: after, effects } = connectionStep(before, events[event]);
    if (outcome === 'stay') {
      expect(after).toBe(before);
      expect(effects).toEqual([]);
      return;
    }
    const described = `${after.status} ${after.refused ?? '-'} ${effects.join(',') || '-'}`;
    expect(described).toBe(outcome);
  });

  it('covers every event in every state', () => {
    expect(cases).toHaveLength(Object.keys(events).length * Object.keys(states).length);
  });

  it('keeps why the server closed the connection until the next one', () => {
    const closing = connectionStep(states.connected, events['connection:closing']).state;
    expect(closing.closedBecause).toBe('token_expired');
    expect(connectionStep(closing, events.connected).state.closedBecause).toBeNull();
  });

  it('renews once per connection: a second refusal after a renewal is final', () => {
    const steps: EventName[] = ['open', 'unauthorized', 'renewed', 'connected', 'transport close'];
    const again = run(...steps, 'unauthorized');
    expect(again).toMatchObject({ renewing: true, refused: null });
  });

  it('counts connections, so a view can tell a first connection from a reconnection', () => {
    expect(run('open', 'connected', 'transport close', 'connected').connections).toBe(2);
  });

  it('counts the attempts in a row that timed out, until a connection is made', () => {
    let state = run('open', 'connected', 'transport close');
    const step = (event: ConnectionEvent) => {
      state = connectionStep(state, event).state;
      return state.timedOut;
    };
    expect([step(timeout), step(events.unreachable), step(timeout)]).toEqual([1, 1, 2]);
    // A refusal is an answer, not a timeout: it neither counts nor forgets the count.
    expect(step(events['unavailable refusal'])).toBe(2);
    expect(state.status).toBe('reconnecting');
    expect(step(events.connected)).toBe(0);
    expect(step(timeout)).toBe(1);
  });
});

describe('connectTimeout', () => {
  it("starts at Socket.IO's timeout and doubles after each timed-out attempt, up to the cap", () => {
    expect([0, 1, 2, 3, 30].map((n) => connectTimeout(n))).toEqual([
      20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
    expect([0, 1, 2, 5].map((n) => connectTimeout(n, { baseMs: 100, maxMs: 500 }))).toEqual([
      100, 200, 400, 500,
    ]);
    // A cap below the app's own timeout never shortens it.
    expect(connectTimeout(3, { baseMs: 90_000 })).toBe(90_000);
  });

  it('never shrinks as attempts time out, and stays between the base and the cap', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000),
        fc.integer({ min: 1, max: 120_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        (timedOut, baseMs, maxMs) => {
          const now = connectTimeout(timedOut, { baseMs, maxMs });
          const next = connectTimeout(timedOut + 1, { baseMs, maxMs });
          expect(next).toBeGreaterThanOrEqual(now);
          expect(now).toBeGreaterThanOrEqual(baseMs);
          expect(now).toBeLessThanOrEqual(Math.max(baseMs, maxMs));
          expect(Number.isFinite(now)).toBe(true);
        },
      ),
    );
  });
});

describe('retryDelay', () => {
  it('doubles up to the maximum, spread by the randomisation either way', () => {
    const fixed = (value: number) => ({ random: () => value });
    expect([0, 1, 2, 3, 9].map((n) => retryDelay(n, fixed(0.5)))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(retryDelay(0, fixed(0))).toBe(500);
    expect(retryDelay(0, fixed(1))).toBe(1500);
    expect(retryDelay(5, fixed(0))).toBe(2500);
  });
});
