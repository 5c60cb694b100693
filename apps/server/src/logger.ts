import pino, { type Logger } from 'pino';
import type { ParleyConfig } from './config';

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(config: Pick<ParleyConfig, 'log'>): Logger {
  return pino({ level: config.log.level, base: { service: 'parley' } });
}
