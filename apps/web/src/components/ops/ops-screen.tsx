'use client';

import type { OpsOverview } from '@parley/protocol';
import { type FormEvent, useState } from 'react';
import { useChat } from '@/chat/provider';
import { AppHeader } from '@/components/app-header';
import { answerProblem } from '@/ops/fetch-ops';
import { POLL_EVERY_MS, useAdminKey, useOpsPoll } from '@/ops/use-ops';
import { NodesTable } from './nodes-table';
import { RateChart } from './rate-chart';
import { RoomsList } from './rooms-list';

/**
 * The live operations page: after an API key is pasted, the cluster's nodes, busiest rooms,
 * message and delivery rates, store health and webhook backlog, asked for every few seconds.
 */
export function OpsScreen() {
  const { ready, serverUrl } = useChat();
  const admin = useAdminKey();
  const { answer, last, history } = useOpsPoll(ready ? serverUrl : null, admin.key);
  const refused = answer?.kind === 'unauthorized';

  return (
    <>
      <AppHeader />
      <main className="ops">
        <h1>Operations</h1>
        <p className="ops-server">
          Server: <code>{serverUrl}</code>
          {admin.key && !refused ? (
            <>
              {' · '}updated every {POLL_EVERY_MS / 1000} s{' · '}
              <button type="button" className="link" onClick={admin.forget}>
                Forget the key
              </button>
            </>
          ) : null}
        </p>
        {answer && answer.kind !== 'ok' ? (
          <p className="ops-problem" role="alert" data-problem={answer.kind}>
            {answerProblem(answer)}
            {last ? ` Showing the overview from ${timeOf(last.at)}.` : null}
          </p>
        ) : null}
        {admin.ready && (!admin.key || refused) ? <KeyForm onKey={admin.setKey} /> : null}
        {admin.key && !refused && !last && !answer ? <p>Asking the server…</p> : null}
        {last && !refused ? <Overview overview={last} history={history} /> : null}
      </main>
    </>
  );
}

function KeyForm({ onKey }: { onKey(key: string): void }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const key = value.trim();
    if (key) onKey(key);
  };
  return (
    <form className="ops-key" onSubmit={submit}>
      <label htmlFor="ops-key">Server API key</label>
      <p id="ops-key-hint" className="hint">
        One of the server&apos;s PARLEY_API_KEYS. Kept in this tab only, until it closes.
      </p>
      <div className="ops-key-row">
        <input
          id="ops-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          aria-describedby="ops-key-hint"
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
        <button type="submit">Watch</button>
      </div>
    </form>
  );
}

function Overview({
  overview,
  history,
}: {
  overview: OpsOverview;
  history: ReturnType<typeof useOpsPoll>['history'];
}) {
  const { store, webhookBacklog } = overview;
  return (
    <div className="ops-overview">
      <p className="ops-updated">As of {timeOf(overview.at)}</p>
      <section aria-labelledby="ops-nodes-heading">
        <h2 id="ops-nodes-heading">
          Nodes <span className="ops-count">({overview.nodes.length})</span>
        </h2>
        <NodesTable overview={overview} history={history} />
      </section>
      <section aria-labelledby="ops-rates-heading">
        <h2 id="ops-rates-heading">Rates (whole cluster)</h2>
        <div className="ops-charts">
          <RateChart
            id="messages"
            title="Messages stored"
            unit="messages/s"
            points={history.messages}
          />
          <RateChart
            id="deliveries"
            title="Deliveries"
            unit="deliveries/s"
            points={history.deliveries}
          />
        </div>
      </section>
      <div className="ops-pair">
        <section aria-labelledby="ops-store-heading">
          <h2 id="ops-store-heading">Store</h2>
          <dl className="ops-facts" data-testid="ops-store">
            <dt>Kind</dt>
            <dd>{store.kind}</dd>
            <dt>Status</dt>
            <dd data-ok={store.ok} className={store.ok ? 'ops-ok' : 'ops-stale'}>
              {store.ok ? 'answering' : 'not answering'}
            </dd>
            <dt>Latency</dt>
            <dd>{store.latencyMs === null ? '–' : `${store.latencyMs.toFixed(1)} ms`}</dd>
          </dl>
        </section>
        <section aria-labelledby="ops-webhooks-heading">
          <h2 id="ops-webhooks-heading">Webhook backlog</h2>
          <dl className="ops-facts" data-testid="ops-webhooks">
            <dt>Messages lane</dt>
            <dd>{backlog(webhookBacklog.messages)}</dd>
            <dt>Presence lane</dt>
            <dd>{backlog(webhookBacklog.presence)}</dd>
          </dl>
        </section>
      </div>
      <section aria-labelledby="ops-rooms-heading">
        <h2 id="ops-rooms-heading">Busiest rooms</h2>
        <RoomsList rooms={overview.busiestRooms} />
      </section>
    </div>
  );
}

function backlog(count: number | null): string {
  if (count === null) return 'not known (the store did not answer)';
  return `${count} waiting`;
}

function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}
