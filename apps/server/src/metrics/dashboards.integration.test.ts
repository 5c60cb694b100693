import { readFileSync } from 'node:fs';
import { ClientEvent } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../../test/helpers';

const deployed = (file: string) =>
  readFileSync(new URL(`../../../../deploy/observability/${file}`, import.meta.url), 'utf8');

/** The metric families a scrape describes (`# TYPE name type`), with their types. */
function families(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    found.set(name, type);
  }
  return found;
}

/** Whether a name in a query is a family of the scrape or a series a histogram makes. */
function exists(name: string, known: Map<string, string>): boolean {
  if (known.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && known.get(base) === 'histogram';
}

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('the shipped alert rules and Grafana dashboard', () => {
  it('name only metrics a live node exports', async () => {
    t = await startServer({});
    const ana = await t.connect('acme', await t.token('Ana'));
    await call(ana, ClientEvent.RoomJoin, { room: 'general' });
    const response = await fetch(`${t.url}/metrics`);
    expect(response.status).toBe(200);
    const known = families(await response.text());
    expect(known.size).toBeGreaterThan(10);

    const alerts = deployed('alerts.yml');
    const dashboard = JSON.parse(deployed('grafana-dashboard.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const queries = [
      ...[...alerts.matchAll(/expr: (>\n(?: {10,}.*\n)+|.*)/g)].map(([, expr = '']) => expr),
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(7 + 12);
    const named = new Set(queries.flatMap((query) => query.match(/\bparley_[a-z0-9_]+/g) ?? []));
    expect(named.size).toBeGreaterThan(10);
    const missing = [...named].filter((name) => !exists(name, known));
    expect(missing).toEqual([]);
    // Every panel queries something; every alert has its expression.
    for (const panel of dashboard.panels)
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    expect(alerts.match(/- alert: /g)?.length).toBe(alerts.match(/expr: /g)?.length);
  });
});
