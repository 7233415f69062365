// Which addresses a technician's scan or unit read may reach: the hosts of the site's own
// endpoints and gateways (and where they are really served, such as the simulator's loopback
// ports), and the networks the site file names under `commissioning.scanNetworks`. Anything
// else only an admin may reach, so that the console cannot be used to probe a network it has no
// business on (IEC 62443-4-2 CR 2.1).
import type { SiteFile } from './schema.ts';

function ipv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

export function inNetwork(host: string, network: string): boolean {
  const [base, bits] = network.split('/');
  const address = ipv4(host);
  const start = ipv4(base ?? '');
  const prefix = Number(bits);
  if (address === null || start === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(start / size);
}

/** The hosts the site itself names, plus those its endpoints are actually served on. */
export function siteHosts(site: SiteFile, servedHosts: Iterable<string> = []): Set<string> {
  const hosts = new Set<string>(servedHosts);
  for (const d of site.devices) hosts.add(d.endpoint.host.toLowerCase());
  for (const g of site.gateways) hosts.add(g.host.toLowerCase());
  return hosts;
}

export function scanAllowed(site: SiteFile, host: string, servedHosts: Iterable<string> = []): boolean {
  const h = host.toLowerCase();
  if (siteHosts(site, servedHosts).has(h)) return true;
  return (site.commissioning?.scanNetworks ?? []).some((n) => inNetwork(h, n));
}
