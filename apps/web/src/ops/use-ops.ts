'use client';

import { useCallback, useEffect, useState } from 'react';
import { fetchOps, type OpsAnswer } from './fetch-ops';
import { staleNodes } from './health';
import { EMPTY_HISTORY, type RateHistory, recordPoll } from './rates';

/** How often the page asks for the overview. */
export const POLL_EVERY_MS = 3000;

const KEY_STORAGE = 'parley.ops-key';

/**
 * The API key the person on call pasted: kept in this tab's sessionStorage (gone when the tab
 * closes, never in the URL), read after mounting so the server render has none.
 */
export function useAdminKey(): {
  key: string | null;
  ready: boolean;
  setKey(key: string): void;
  forget(): void;
} {
  const [state, setState] = useState<{ key: string | null; ready: boolean }>({
    key: null,
    ready: false,
  });
  useEffect(() => {
    setState({ key: sessionStorage.getItem(KEY_STORAGE), ready: true });
  }, []);
  const setKey = useCallback((key: string) => {
    sessionStorage.setItem(KEY_STORAGE, key);
    setState({ key, ready: true });
  }, []);
  const forget = useCallback(() => {
    sessionStorage.removeItem(KEY_STORAGE);
    setState({ key: null, ready: true });
  }, []);
  return { ...state, setKey, forget };
}

export interface OpsPoll {
  /** The last answer (null before the first). */
  answer: OpsAnswer | null;
  /** The last overview that parsed, kept while later polls fail. */
  last: Extract<OpsAnswer, { kind: 'ok' }>['overview'] | null;
  history: RateHistory;
}

const NOTHING: OpsPoll = { answer: null, last: null, history: EMPTY_HISTORY };

/**
 * Polls `GET /api/v1/ops` every `everyMs` while there is a server and a key: one request at a
 * time (the next is scheduled when one ends; none after the key is refused), all stopped and any request in flight aborted when
 * the component unmounts or the server or key changes (which starts the history anew).
 */
export function useOpsPoll(
  serverUrl: string | null,
  apiKey: string | null,
  everyMs = POLL_EVERY_MS,
): OpsPoll {
  const [poll, setPoll] = useState<OpsPoll>(NOTHING);
  useEffect(() => {
    setPoll(NOTHING);
    if (!serverUrl || !apiKey) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const once = async () => {
      let answer: OpsAnswer;
      try {
        answer = await fetchOps(serverUrl, apiKey, { signal: controller.signal });
      } catch {
        return; // Aborted: unmounted or changed.
      }
      if (controller.signal.aborted) return;
      setPoll((current) => {
        if (answer.kind !== 'ok') return { ...current, answer };
        const { overview } = answer;
        const history = recordPoll(current.history, {
          at: Date.parse(overview.at),
          stale: staleNodes(overview),
          nodes: overview.nodes.map((node) => ({
            id: node.id,
            reportedAt: Date.parse(node.reportedAt),
            startedAt: Date.parse(node.startedAt),
            messagesStored: node.messagesStored,
            deliveries: node.deliveries,
          })),
        });
        return { answer, last: overview, history };
      });
      // A refused key stays refused: asking again waits for another key.
      if (answer.kind !== 'unauthorized') timer = setTimeout(() => void once(), everyMs);
    };
    void once();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [serverUrl, apiKey, everyMs]);
  return poll;
}
