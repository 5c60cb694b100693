import { isWorkspaceName } from './names';

const WORKSPACE_KEY = 'parley.workspace';
export const DEFAULT_WORKSPACE = 'lobby';

/** The workspace the lobby shows: the last one picked or visited in this browser. */
export function lastWorkspace(): string {
  const saved = localStorage.getItem(WORKSPACE_KEY);
  return saved && isWorkspaceName(saved) ? saved : DEFAULT_WORKSPACE;
}

export function rememberWorkspace(workspace: string): void {
  localStorage.setItem(WORKSPACE_KEY, workspace);
}
