import type { NetworkInterfaceInfo } from 'node:os';

/**
 * The host names this machine answers to, for next.config's `allowedDevOrigins`. `next dev`
 * serves its scripts and hot reload only to pages opened at `localhost` (or at the `--hostname`
 * it was started with), so a page opened at http://127.0.0.1:3000 or at the network address
 * `next dev` itself prints would stay on "Loading…": it never hydrates.
 *
 * Only this machine's own names, never a wildcard: the check is there to keep other sites from
 * reading the dev server's code, and a name listed here is one only this machine serves.
 */
export function devHosts(
  interfaces: Partial<Record<string, NetworkInterfaceInfo[]>>,
  hostname: string,
): string[] {
  const hosts = new Set(['127.0.0.1', '[::1]']);
  for (const address of Object.values(interfaces).flat()) {
    if (!address || address.internal) continue;
    if (address.family === 'IPv4') hosts.add(address.address);
    // Browsers cannot open link-local IPv6 addresses (they need a zone): leave them out.
    else if (!address.address.toLowerCase().startsWith('fe80:')) hosts.add(`[${address.address}]`);
  }
  // Origins are matched on their URL hostname: lowercase, and IPv6 in brackets, as above.
  if (hostname) hosts.add(hostname.toLowerCase());
  return [...hosts];
}
