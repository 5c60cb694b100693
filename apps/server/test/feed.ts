import type { HistoryStore } from '../src/stores/types';

let probes = 0;

/**
 * Resolves once the store's feed of stored messages is heard: Redis subscribes asynchronously,
 * so an entry appended right after `onAppended` may be stored before the subscription exists.
 * Appends to a probe room of its own until its listener hears one (every listener shares the
 * store's one subscription); each append is a round trip, so no sleep paces it.
 */
export async function feedHeard(history: HistoryStore, attempts = 200): Promise<void> {
  const probe = { workspace: 'feed-probe', room: `probe-${process.pid}-${++probes}` };
  let heard = false;
  history.onAppended(
    () => {
      heard = true;
    },
    (ref) => ref.workspace === probe.workspace && ref.room === probe.room,
  );
  for (let i = 0; !heard; i++) {
    if (i === attempts) throw new Error(`the feed heard none of ${attempts} probes`);
    await history.append(probe, {
      author: { id: 'probe', name: 'Probe' },
      text: 'probe',
      clientMsgId: `probe-${i}`,
    });
  }
}
