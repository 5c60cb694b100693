import { Writable } from 'node:stream';
import pino from 'pino';

/** A log line as pino writes it, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A real pino logger whose lines land, parsed, in `lines`. */
export function capturingLogger(level: pino.Level = 'info') {
  const lines: LogLine[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { logger, lines };
}
