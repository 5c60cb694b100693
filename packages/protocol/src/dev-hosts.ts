/** One address of a network interface, as Node's `os.networkInterfaces()` lists it. */
export interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}

/**
 * The host names this machine answers to, as origins name them: 127.0.0.1, [::1], every
 * external IPv4 and IPv6 address (link-local IPv6 left out: browsers cannot open it without a
 * zone), and the host name, lowercase. The server lets browsers from these in while developing
 * (CORS), and the web app's dev server serves its scripts to pages opened at them.
 *
 * Pure (the caller passes `os.networkInterfaces()` and `os.hostname()`), so browsers can load
 * the protocol package without Node's modules.
 */
export function devHosts(
  interfaces: Partial<Record<string, InterfaceAddress[]>>,
  hostname: string,
): string[] {
  const hosts = new Set(['127.0.0.1', '[::1]']);
  for (const address of Object.values(interfaces).flat()) {
    if (!address || address.internal) continue;
    if (address.family === 'IPv4' || address.family === 4) hosts.add(address.address);
    else if (!address.address.toLowerCase().startsWith('fe80:')) hosts.add(`[${address.address}]`);
  }
  if (hostname) hosts.add(hostname.toLowerCase());
  return [...hosts];
}
