#!/usr/bin/env node
// Scrapes /metrics of every Parley node given (arguments, or PARLEY_NODES comma-separated;
// default http://127.0.0.1:3001) and prints one line per node: what an operator looks at first.
// METRICS_KEY, when set, is sent as the bearer key. Counts are since each node started.
//
//   pnpm ops:scrape
//   pnpm ops:scrape http://10.0.0.5:3001 http://10.0.0.6:3001
//   METRICS_KEY=… PARLEY_NODES=http://a:3001,http://b:3001 pnpm ops:scrape

const nodes = process.argv.slice(2).length
  ? process.argv.slice(2)
  : (process.env.PARLEY_NODES ?? 'http://127.0.0.1:3001').split(',').filter(Boolean);
const key = process.env.METRICS_KEY;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The text format's samples: `{ name, labels, value }`. */
function parse(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const found = line.startsWith('#') ? null : SAMPLE.exec(line);
    if (!found) continue;
    const labels = Object.fromEntries(
      [...(found[2] ?? '').matchAll(LABEL)].map((m) => [m[1], m[2]]),
    );
    samples.push({ name: found[1], labels, value: Number(found[3]) });
  }
  return samples;
}

const sum = (samples, name, match = () => true) =>
  samples
    .filter((sample) => sample.name === name && match(sample.labels))
    .reduce((total, sample) => total + sample.value, 0);

/** Like PromQL's histogram_quantile, over every series of the histogram added together. */
function quantile(samples, name, q) {
  const buckets = new Map();
  for (const sample of samples) {
    if (sample.name !== `${name}_bucket`) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
  }
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let [lower, below] = [0, 0];
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return lower + (le - lower) * ((rank - below) / (count - below || 1));
    }
    [lower, below] = [le, count];
  }
  return lower;
}

function ago(timestampSeconds) {
  if (!timestampSeconds) return 'never';
  const seconds = Math.round(Date.now() / 1000 - timestampSeconds);
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

async function summarize(node) {
  const base = node.replace(/\/+$/, '');
  try {
    const response = await fetch(`${base}/metrics`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return { node: base, status: `HTTP ${response.status}` };
    const samples = parse(await response.text());
    const p99 = quantile(samples, 'parley_ack_duration_seconds', 0.99);
    return {
      node: base,
      status: 'up',
      connections: sum(samples, 'parley_connections'),
      rooms: sum(samples, 'parley_rooms_active'),
      stored: sum(samples, 'parley_messages_stored_total'),
      events: sum(samples, 'parley_events_received_total'),
      'ack p99': p99 === undefined ? '-' : `${(p99 * 1000).toFixed(1)} ms`,
      'rate limited': sum(samples, 'parley_rate_limited_total'),
      'store failures': sum(samples, 'parley_store_unavailable_total'),
      'last store error': ago(sum(samples, 'parley_store_last_unavailable_timestamp_seconds')),
      'webhook backlog': sum(samples, 'parley_webhook_backlog'),
      'slow readers': sum(samples, 'parley_slow_reader_disconnects_total'),
    };
  } catch (error) {
    return { node: base, status: `down (${error.cause?.code ?? error.name})` };
  }
}

const rows = await Promise.all(nodes.map(summarize));
const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
const cell = (row, column) => String(row[column] ?? '');
const widths = columns.map((column) =>
  Math.max(column.length, ...rows.map((row) => cell(row, column).length)),
);
const line = (values) =>
  values
    .map((value, i) => value.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
console.log(line(columns));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(columns.map((column) => cell(row, column))));
// Webhook backlog is the cluster's queue with Redis: every node shows the same number.
process.exitCode = rows.every((row) => row.status === 'up') ? 0 : 1;
