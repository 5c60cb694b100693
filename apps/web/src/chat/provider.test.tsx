// @vitest-environment happy-dom
import type { ParleyClient } from '@parley/client';
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatProvider, useWorkspaceClient } from './provider';
import { RELEASE_DELAY_MS } from './registry';

// Nothing listens there: the clients try to connect, which is all this test needs of them.
const SERVER = 'http://127.0.0.1:9';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  localStorage.setItem(
    `parley.session:${SERVER}`,
    JSON.stringify({
      serverUrl: SERVER,
      token: 'token',
      user: { id: 'ana', name: 'Ana' },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  );
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
});

/** The client each screen got, by the screen's name, as it last rendered. */
const seen = new Map<string, ParleyClient | null>();

function Screen({ name, workspace }: { name: string; workspace: string }) {
  seen.set(name, useWorkspaceClient(workspace));
  return null;
}

/** Renders the app with these screens, and lets its effects and releases run. */
async function show(screens: ReactNode) {
  root ??= createRoot(document.createElement('div'));
  await act(async () => {
    root?.render(<ChatProvider defaultServerUrl={SERVER}>{screens}</ChatProvider>);
  });
  await act(() => new Promise((resolve) => setTimeout(resolve, RELEASE_DELAY_MS + 10)));
}

const disposed = (client: ParleyClient | null | undefined) => client?.socket.active === false;

describe("the tab's workspace client", () => {
  it('is one for the screens of a workspace, and goes when the tab leaves the workspace', async () => {
    seen.clear();
    await show(<Screen key="room" name="room" workspace="acme" />);
    const acme = seen.get('room');
    expect(acme?.workspace).toBe('acme');
    expect(disposed(acme)).toBe(false);

    // From a room to the lobby of the same workspace: the same client, still connecting.
    await show(<Screen key="lobby" name="lobby" workspace="acme" />);
    expect(seen.get('lobby')).toBe(acme);
    expect(disposed(acme)).toBe(false);

    // The lobby switches to another workspace: a client for it; the first one is disposed.
    await show(<Screen key="other" name="other" workspace="other" />);
    const other = seen.get('other');
    expect(other?.workspace).toBe('other');
    expect(other).not.toBe(acme);
    expect(disposed(acme)).toBe(true);
    expect(disposed(other)).toBe(false);

    // No screen shows a workspace any more: its client goes too.
    await show(null);
    expect(disposed(other)).toBe(true);
  });

  it('is disposed when the app unmounts', async () => {
    seen.clear();
    await show(<Screen name="room" workspace="acme" />);
    const client = seen.get('room');
    expect(disposed(client)).toBe(false);
    act(() => root?.unmount());
    root = undefined;
    expect(disposed(client)).toBe(true);
  });

  it('is null for a screen of another workspace until that one is made', async () => {
    seen.clear();
    await show(
      <>
        <Screen name="first" workspace="acme" />
        <Screen name="second" workspace="other" />
      </>,
    );
    // The workspace held last is the one the tab shows.
    expect(seen.get('second')?.workspace).toBe('other');
    expect(seen.get('first')).toBeNull();
  });
});
