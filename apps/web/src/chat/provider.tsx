'use client';

import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';
import { setClientSession, workspaceClient } from './registry';
import { resolveServerUrl } from './server-url';
import { createSession, loadSession, rememberedName, type StoredSession } from './session';
import type { WorkspaceClient, WorkspaceSnapshot } from './workspace-client';

interface ChatContextValue {
  /** False until the browser's stored session has been read (never during server rendering). */
  ready: boolean;
  serverUrl: string;
  session: StoredSession | null;
  /** The name to offer in the name form. */
  suggestedName: string;
  /** Gets a guest token for `name`; keeps the user's id when they already had one. */
  signIn(name: string): Promise<void>;
}

const ChatContext = createContext<ChatContextValue | null>(null);

export function ChatProvider({
  defaultServerUrl,
  children,
}: {
  defaultServerUrl: string;
  children: ReactNode;
}) {
  const [state, setState] = useState<{
    serverUrl: string;
    session: StoredSession | null;
    name: string;
  } | null>(null);

  useEffect(() => {
    const serverUrl = resolveServerUrl(defaultServerUrl);
    setState({ serverUrl, session: loadSession(serverUrl), name: rememberedName() });
  }, [defaultServerUrl]);

  const signIn = useCallback(
    async (name: string) => {
      if (!state) return;
      const session = await createSession(state.serverUrl, name, state.session?.token);
      setState({ serverUrl: state.serverUrl, session, name: session.user.name });
    },
    [state],
  );

  // Before any child asks for a workspace client, the clients know whose session to use.
  if (state?.session) setClientSession(state.session);

  const value = useMemo<ChatContextValue>(
    () => ({
      ready: state !== null,
      serverUrl: state?.serverUrl ?? defaultServerUrl,
      session: state?.session ?? null,
      suggestedName: state?.name ?? '',
      signIn,
    }),
    [state, defaultServerUrl, signIn],
  );
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

export function useChat(): ChatContextValue {
  const value = useContext(ChatContext);
  if (!value) throw new Error('useChat must be used inside <ChatProvider>');
  return value;
}

/** The tab's client for a workspace and its live snapshot. Needs a session. */
export function useWorkspace(workspace: string): {
  client: WorkspaceClient;
  snapshot: WorkspaceSnapshot;
} {
  const { session } = useChat();
  if (!session) throw new Error('useWorkspace needs a session');
  const client = workspaceClient(workspace);
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
  return { client, snapshot };
}
