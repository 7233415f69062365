// Which addresses a technician may scan: worked by hand from the CIDR arithmetic.
import { describe, expect, it } from 'vitest';
import { inNetwork, scanAllowed } from '../../../../shared/site/scan-scope.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

describe('scan scope', () => {
  it('matches IPv4 networks by prefix', () => {
    expect(inNetwork('192.168.10.7', '192.168.10.0/24')).toBe(true);
    expect(inNetwork('192.168.11.7', '192.168.10.0/24')).toBe(false);
    // /23 spans 192.168.10.0–192.168.11.255.
    expect(inNetwork('192.168.11.255', '192.168.10.0/23')).toBe(true);
    expect(inNetwork('192.168.12.0', '192.168.10.0/23')).toBe(false);
    expect(inNetwork('10.0.0.1', '10.0.0.1/32')).toBe(true);
    expect(inNetwork('10.0.0.2', '10.0.0.1/32')).toBe(false);
    expect(inNetwork('8.8.8.8', '0.0.0.0/0')).toBe(true);
    expect(inNetwork('gateway.local', '192.168.10.0/24')).toBe(false);
    expect(inNetwork('192.168.10.300', '192.168.10.0/24')).toBe(false);
  });

  it("allows the site's own hosts and named networks, nothing else", () => {
    const site = { ...demoSite(), commissioning: { scanNetworks: ['172.16.4.0/22'] } };
    const own = site.devices[0]!.endpoint.host;
    expect(scanAllowed(site, own)).toBe(true);
    expect(scanAllowed(site, '172.16.7.200')).toBe(true);
    expect(scanAllowed(site, '172.16.8.1')).toBe(false);
    expect(scanAllowed(site, '127.0.0.9')).toBe(false);
    expect(scanAllowed(site, '127.0.0.9', ['127.0.0.9'])).toBe(true);
  });
});
