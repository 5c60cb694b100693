const STORAGE_KEY = 'parley.server';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Which Parley server this tab talks to: `?server=` when given (kept for the rest of the tab's
 * life, so a local cluster can be watched node by node), else the deployment's default.
 */
export function resolveServerUrl(defaultUrl: string): string {
  const fromQuery = new URLSearchParams(window.location.search).get('server');
  if (fromQuery && isHttpUrl(fromQuery)) {
    sessionStorage.setItem(STORAGE_KEY, fromQuery);
  }
  const chosen = sessionStorage.getItem(STORAGE_KEY) ?? defaultUrl;
  return chosen.replace(/\/+$/, '');
}
