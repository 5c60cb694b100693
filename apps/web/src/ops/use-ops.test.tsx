// @vitest-environment happy-dom
import type { OpsOverview } from '@parley/protocol';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OpsPoll, POLL_EVERY_MS, useOpsPoll } from './use-ops';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

function overview(seconds: number, messagesStored: number): OpsOverview {
  const at = new Date(Date.UTC(2026, 11, 1, 12, 0, seconds)).toISOString();
  return {
    at,
    nodes: [
      {
        id: 'a',
        startedAt: '2026-12-01T11:00:00.000Z',
        reportedAt: at,
        connections: 1,
        rooms: 1,
        eventLoopLagMs: 1,
        heapUsedBytes: 1,
        messagesStored,
        deliveries: messagesStored * 2,
      },
    ],
    busiestRooms: [],
    store: { kind: 'memory', ok: true, latencyMs: 0 },
    webhookBacklog: { messages: 0, presence: 0 },
  };
}

let root: Root | undefined;
let seen: OpsPoll | undefined;
let answers: Response[] = [];
const fetchMock = vi.fn(async () => answers.shift() ?? new Response('{}', { status: 500 }));

function Probe({ apiKey }: { apiKey: string | null }) {
  seen = useOpsPoll('http://ops.test', apiKey);
  return null;
}

async function mount(apiKey: string | null) {
  const container = document.createElement('div');
  root = createRoot(container);
  await act(async () => root?.render(<Probe apiKey={apiKey} />));
}

/** Lets the timers run `ms` on, and the fetches they start answer. */
async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

const ok = (body: OpsOverview) => new Response(JSON.stringify(body), { status: 200 });

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('fetch', fetchMock);
  fetchMock.mockClear();
  answers = [];
  seen = undefined;
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('useOpsPoll', () => {
  it('asks nothing without a key', async () => {
    await mount(null);
    await advance(POLL_EVERY_MS * 3);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(seen?.answer).toBeNull();
  });

  it('polls every few seconds and turns successive counters into rates', async () => {
    answers = [ok(overview(0, 0)), ok(overview(3, 30)), ok(overview(6, 90))];
    await mount('key');
    await advance(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(seen?.answer?.kind).toBe('ok');
    expect(seen?.history.messages).toEqual([]);
    await advance(POLL_EVERY_MS);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(seen?.history.messages.map((point) => point.value)).toEqual([10]);
    await advance(POLL_EVERY_MS);
    expect(seen?.history.messages.map((point) => point.value)).toEqual([10, 20]);
    expect(seen?.history.deliveries.map((point) => point.value)).toEqual([20, 40]);
  });

  it('keeps the last overview when a poll fails, and goes on polling', async () => {
    answers = [ok(overview(0, 0)), new Response('nope', { status: 502 }), ok(overview(6, 6))];
    await mount('key');
    await advance(0);
    await advance(POLL_EVERY_MS);
    expect(seen?.answer).toMatchObject({ kind: 'invalid', status: 502 });
    expect(seen?.last?.at).toBe(overview(0, 0).at);
    await advance(POLL_EVERY_MS);
    expect(seen?.answer?.kind).toBe('ok');
    expect(seen?.history.messages.map((point) => point.value)).toEqual([1]);
  });

  it('stops asking once the key is refused', async () => {
    answers = [new Response('{}', { status: 401 })];
    await mount('wrong');
    await advance(0);
    expect(seen?.answer).toEqual({ kind: 'unauthorized', status: 401 });
    await advance(POLL_EVERY_MS * 5);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('stops polling when unmounted', async () => {
    answers = [ok(overview(0, 0)), ok(overview(3, 3))];
    await mount('key');
    await advance(0);
    await act(async () => root?.unmount());
    root = undefined;
    await advance(POLL_EVERY_MS * 5);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
