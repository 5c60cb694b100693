import type { OpsOverview } from '@parley/protocol';
import { formatBytes, formatDuration, formatRate, isStale, reportAgeMs } from '@/ops/health';
import type { RateHistory } from '@/ops/rates';

/** The cluster's nodes, one row each, a node whose report is old flagged in words too. */
export function NodesTable({ overview, history }: { overview: OpsOverview; history: RateHistory }) {
  if (overview.nodes.length === 0) {
    return <p>No node has reported.</p>;
  }
  return (
    // Scrolls sideways on a narrow screen: focusable so the keyboard can scroll it too.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable.
    <section className="ops-table-scroll" aria-label="Nodes table" tabIndex={0}>
      <table className="ops-table" data-testid="ops-nodes">
        <caption className="visually-hidden">
          Nodes, with their load and when each last reported
        </caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Uptime</th>
            <th scope="col">Connections</th>
            <th scope="col">Rooms</th>
            <th scope="col">Event-loop lag</th>
            <th scope="col">Heap used</th>
            <th scope="col">Messages/s</th>
            <th scope="col">Deliveries/s</th>
            <th scope="col">Last report</th>
          </tr>
        </thead>
        <tbody>
          {overview.nodes.map((node) => {
            const stale = isStale(node, overview.at);
            const rates = history.nodes.get(node.id)?.rates;
            return (
              <tr key={node.id} data-node={node.id} data-stale={stale || undefined}>
                <th scope="row">{node.id}</th>
                <td>
                  {formatDuration(
                    Math.max(0, Date.parse(overview.at) - Date.parse(node.startedAt)),
                  )}
                </td>
                <td>{node.connections}</td>
                <td>{node.rooms}</td>
                <td>{node.eventLoopLagMs.toFixed(1)} ms</td>
                <td>{formatBytes(node.heapUsedBytes)}</td>
                <td>{rates ? formatRate(rates.messages) : '–'}</td>
                <td>{rates ? formatRate(rates.deliveries) : '–'}</td>
                <td className={stale ? 'ops-stale' : undefined}>
                  {formatDuration(reportAgeMs(node, overview.at))} ago
                  {stale ? <strong> — late: not reporting</strong> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
