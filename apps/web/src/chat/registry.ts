import type { ParleyClient } from '@parley/client';

/**
 * Which workspace the tab shows, so that it has one client (one socket) for it: every screen
 * that shows a workspace holds it while it is mounted, and the tab's client is for the one held
 * last. A screen that goes lets go of it a moment later (`RELEASE_DELAY_MS`), so that the next
 * screen of the same workspace (a room, the lobby, another room) takes it over and the client
 * stays; when nothing holds a workspace any more, or another one is held, its client goes.
 */

/** Workspaces held, one entry per screen holding one, in the order they were taken. */
export type Holders = readonly string[];

export const RELEASE_DELAY_MS = 0;

export function held(holders: Holders, workspace: string): Holders {
  return [...holders, workspace];
}

/** One hold of `workspace` less (the newest, so the order of the others stays). */
export function released(holders: Holders, workspace: string): Holders {
  const index = holders.lastIndexOf(workspace);
  return index < 0 ? holders : holders.toSpliced(index, 1);
}

/** The workspace the tab shows: the one held last; null when none is. */
export function shownWorkspace(holders: Holders): string | null {
  return holders.at(-1) ?? null;
}

/**
 * Leaves cleanly when the page goes away (the server sees the disconnection at once) and comes
 * back when the back/forward cache brings the page back to life. Answers how to stop.
 */
export function followPageLifecycle(client: Pick<ParleyClient, 'connect' | 'disconnect'>) {
  const onHide = () => client.disconnect();
  const onShow = (event: PageTransitionEvent) => {
    if (event.persisted) client.connect();
  };
  window.addEventListener('pagehide', onHide);
  window.addEventListener('pageshow', onShow);
  return () => {
    window.removeEventListener('pagehide', onHide);
    window.removeEventListener('pageshow', onShow);
  };
}
