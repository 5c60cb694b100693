'use client';

import type { ParleyClient, SessionSource } from '@parley/client';
import { useParleyClient } from '@parley/client/react';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import {
  followPageLifecycle,
  type Holders,
  held,
  RELEASE_DELAY_MS,
  released,
  shownWorkspace,
} from './registry';
import { resolveServerUrl } from './server-url';
import {
  createSession,
  loadSession,
  rememberedName,
  type StoredSession,
  sessionSource,
} from './session';

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

interface ChatState {
  serverUrl: string;
  session: StoredSession | null;
  /**
   * What the workspace client asks for the token: one per sign-in, kept across renewals (the
   * client renews by itself; a new source would be a new client).
   */
  source: SessionSource | null;
  name: string;
}

interface WorkspaceClientValue {
  /** The tab's client, for the workspace held last; null until it is made. */
  client: ParleyClient | null;
  /** Holds a workspace while a screen shows it; answers the release. */
  hold(workspace: string): () => void;
}

const ChatContext = createContext<ChatContextValue | null>(null);
const WorkspaceClientContext = createContext<WorkspaceClientValue | null>(null);

export function ChatProvider({
  defaultServerUrl,
  children,
}: {
  defaultServerUrl: string;
  children: ReactNode;
}) {
  const [state, setState] = useState<ChatState | null>(null);

  /** A session to use from now on (stored, or just signed in), with its source. */
  const use = useCallback((serverUrl: string, session: StoredSession | null, name: string) => {
    const source: SessionSource | null =
      session &&
      sessionSource(session, (renewed) =>
        // Shown and kept; the client has it already, through the same source.
        setState((current) =>
          current?.source === source
            ? { ...current, session: renewed, name: renewed.user.name }
            : current,
        ),
      );
    setState({ serverUrl, session, source, name });
  }, []);

  useEffect(() => {
    const serverUrl = resolveServerUrl(defaultServerUrl);
    use(serverUrl, loadSession(serverUrl), rememberedName());
  }, [defaultServerUrl, use]);

  const signIn = useCallback(
    async (name: string) => {
      if (!state) return;
      const session = await createSession(state.serverUrl, name, state.session?.token);
      // A new identity: the workspace client is made again with it.
      use(state.serverUrl, session, session.user.name);
    },
    [state, use],
  );

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
  return (
    <ChatContext.Provider value={value}>
      <WorkspaceClients serverUrl={state?.serverUrl} source={state?.source ?? null}>
        {children}
      </WorkspaceClients>
    </ChatContext.Provider>
  );
}

/**
 * The tab's one workspace client: made (in an effect) for the workspace its screens hold, and
 * disposed when the tab leaves that workspace (a screen holds another one, or none holds any),
 * when the session changes, or when the app unmounts.
 */
function WorkspaceClients({
  serverUrl,
  source,
  children,
}: {
  serverUrl: string | undefined;
  source: SessionSource | null;
  children: ReactNode;
}) {
  const [holders, setHolders] = useState<Holders>([]);
  const workspace = shownWorkspace(holders);
  const client = useParleyClient(
    serverUrl && source && workspace ? { url: serverUrl, workspace, session: source } : null,
  );
  useEffect(() => (client ? followPageLifecycle(client) : undefined), [client]);

  const hold = useCallback((wanted: string) => {
    setHolders((current) => held(current, wanted));
    return () => {
      // A moment later: the screen that comes next may hold the same workspace.
      setTimeout(() => setHolders((current) => released(current, wanted)), RELEASE_DELAY_MS);
    };
  }, []);

  const value = useMemo(() => ({ client, hold }), [client, hold]);
  return (
    <WorkspaceClientContext.Provider value={value}>{children}</WorkspaceClientContext.Provider>
  );
}

export function useChat(): ChatContextValue {
  const value = useContext(ChatContext);
  if (!value) throw new Error('useChat must be used inside <ChatProvider>');
  return value;
}

/**
 * The tab's client for `workspace`, held while the component using it is mounted; null until
 * it is made (and while there is no session). One client, so one socket, per tab.
 */
export function useWorkspaceClient(workspace: string): ParleyClient | null {
  const value = useContext(WorkspaceClientContext);
  if (!value) throw new Error('useWorkspaceClient must be used inside <ChatProvider>');
  const { client, hold } = value;
  useEffect(() => hold(workspace), [hold, workspace]);
  return client?.workspace === workspace ? client : null;
}
