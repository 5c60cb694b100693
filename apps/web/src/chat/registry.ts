import type { StoredSession } from './session';
import { createSession } from './session';
import { WorkspaceClient } from './workspace-client';

/**
 * The tab's workspace clients, one per workspace, created on first use and reused after: React
 * StrictMode's double renders and effects find the same client, so a tab never opens a second
 * socket for the same workspace.
 */
const clients = new Map<string, WorkspaceClient>();
let session: StoredSession | null = null;

/** Points the clients at a session; a new token or server replaces them all. */
export function setClientSession(next: StoredSession): void {
  if (session && (session.token !== next.token || session.serverUrl !== next.serverUrl)) {
    // A new identity or server: sockets must reconnect with the new token.
    for (const client of clients.values()) client.dispose();
    clients.clear();
  }
  session = next;
}

export function workspaceClient(workspace: string): WorkspaceClient {
  if (!session) throw new Error('workspaceClient needs a session first');
  const current = session;
  let client = clients.get(workspace);
  if (!client) {
    client = new WorkspaceClient(current.serverUrl, workspace, {
      token: () => session?.token ?? '',
      me: () => (session ?? current).user,
      async renew() {
        const active = session ?? current;
        session = await createSession(active.serverUrl, active.user.name);
      },
    });
    clients.set(workspace, client);
  }
  return client;
}

if (typeof window !== 'undefined') {
  // Leave cleanly when the tab goes away: the server sees the disconnect at once.
  window.addEventListener('pagehide', () => {
    for (const client of clients.values()) client.socket.disconnect();
  });
  // Back from the back/forward cache: the page lives again, so do its connections.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) for (const client of clients.values()) client.socket.connect();
  });
}
