import * as hdr from 'hdr-histogram-js';

/** Latencies are recorded in microseconds; up to a minute, three significant digits. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Histograms cross process boundaries in HdrHistogram's compressed form. */
export function encodeHistogram(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function mergeEncoded(encoded: string[]): hdr.Histogram {
  const merged = newLatencyHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text));
  return merged;
}

/** Percentiles in milliseconds, as reported. */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(histogram: hdr.Histogram): LatencySummary {
  const ms = (micros: number) => Math.round(micros / 10) / 100;
  return {
    samples: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p95Ms: ms(histogram.getValueAtPercentile(95)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
  };
}

/**
 * Microseconds on CLOCK_MONOTONIC, which every process on the machine shares: a timestamp taken
 * by the sender's process can be subtracted from one taken in a receiver's.
 */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
