/** One sample of Prometheus' text format: `name{label="value",…} 12`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format's samples (comments and blank lines are skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const found = SAMPLE.exec(line);
    if (!found) throw new Error(`not a sample: ${line}`);
    const [, name = '', rawLabels = '', rawValue = ''] = found;
    const labels: Record<string, string> = {};
    for (const [, label = '', value = ''] of rawLabels.matchAll(LABEL)) {
      labels[label] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name, labels, value: Number(rawValue) });
  }
  return samples;
}

/** GETs `/metrics` and parses it; fails unless it answers 200. */
export async function scrape(url: string, key?: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/**
 * The value of the one sample with this name and these labels (and no others); 0 when there is
 * none, as Prometheus treats a counter that has not counted yet.
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const wanted = Object.entries(labels);
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([label, value]) => sample.labels[label] === value),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: several samples`);
  return found[0]?.value ?? 0;
}
