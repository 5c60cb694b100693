import { describe, expect, it } from 'vitest';
import { RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS, restartDelayMs } from './restart-delay';

describe('worker restart delay', () => {
  it('restarts a one-off crash after the minimum, doubling for each crash in a row up to a cap', () => {
    expect(restartDelayMs(1)).toBe(RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(2)).toBe(2 * RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(3)).toBe(4 * RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(100)).toBe(RESTART_DELAY_MAX_MS);
  });
});
