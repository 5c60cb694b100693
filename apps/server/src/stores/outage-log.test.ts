import { afterEach, describe, expect, it, vi } from 'vitest';
import { capturingLogger } from '../../test/logs';
import { StoreUnavailableError } from './errors';
import { createOutageLog } from './outage-log';

afterEach(() => {
  vi.useRealTimers();
});

describe('the outage log', () => {
  it('writes a line when an outage starts, a summary with counts per interval, and one when it ends', () => {
    // The clock is the test's: each interval ends exactly when it says, however busy the machine.
    vi.useFakeTimers();
    const { logger, lines } = capturingLogger();
    const outage = createOutageLog(logger, { summaryMs: 100 });
    const unreachable = new StoreUnavailableError('history.append: Redis is unreachable');
    try {
      for (let i = 0; i < 5000; i++) {
        expect(outage.failed(i % 2 ? 'message:send' : 'room:join', unreachable)).toBe(true);
      }
      expect(lines.map((l) => l.msg)).toEqual([
        'store unreachable: answering unavailable until it is back',
      ]);
      expect(lines[0]).toMatchObject({ level: 40, reason: unreachable.message });
      expect(JSON.stringify(lines[0])).not.toContain('stack');
      vi.advanceTimersByTime(99);
      expect(lines).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatchObject({
        msg: 'store still unreachable',
        failures: 5000,
        byPlace: { 'message:send': 2500, 'room:join': 2500 },
      });
      // Nothing fails for a whole interval: it is over, said once, with the total.
      vi.advanceTimersByTime(100);
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatchObject({
        msg: 'store reachable again',
        failures: 5000,
        level: 30,
        downForMs: 200,
      });
      vi.advanceTimersByTime(1000);
      expect(lines).toHaveLength(3);
      // Other errors are not its business.
      expect(outage.failed('message:send', new Error('a bug'))).toBe(false);
      expect(lines).toHaveLength(3);
    } finally {
      outage.stop();
    }
  });
});
