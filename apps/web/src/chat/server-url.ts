const STORAGE_KEY = 'parley.server';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}

/**
 * The default server as the page's own host reaches it. A default on a loopback address (the
 * development setup: `http://localhost:3001`) means "the machine that serves this page"; a page
 * opened at that machine's network address (from a phone, say) would otherwise talk to itself.
 * Any other default is a real address and is kept.
 */
export function serverOnPageHost(defaultUrl: string, pageHostname: string): string {
  if (!isHttpUrl(defaultUrl) || !pageHostname) return defaultUrl;
  const url = new URL(defaultUrl);
  // Browsers give IPv6 hostnames in brackets, as URL does.
  if (!isLoopback(url.hostname) || isLoopback(pageHostname)) return defaultUrl;
  url.hostname = pageHostname;
  return url.href;
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
  const chosen =
    sessionStorage.getItem(STORAGE_KEY) ?? serverOnPageHost(defaultUrl, window.location.hostname);
  return chosen.replace(/\/+$/, '');
}
