// The demo village with one load-shed relay controller per feeder, each behind its feeder's
// RS-485 gateway, with a holding register per member (named by the member's id).
import { validateSite } from '../../../shared/site/validate-site.ts';
import type { SiteFile } from '../../../shared/site/schema.ts';
import { demoSiteJson } from '../../fixtures/demo-site.ts';

type Json = Record<string, any>;

export function demoWithShedRelaysJson(): Json {
  const doc = demoSiteJson() as Json;
  const gateways = doc.gateways as Json[];
  const gatewayOf: Record<string, Json> = {
    f1: gateways.find((g) => g.id === 'gw-north')!,
    f2: gateways.find((g) => g.id === 'gw-north')!,
    f3: gateways.find((g) => g.id === 'gw-south')!,
  };
  const unitOf: Record<string, number> = { f1: 101, f2: 102, f3: 101 };
  for (const feeder of ['f1', 'f2', 'f3']) {
    const members = (doc.members as Json[]).filter((m) => String(m.bus).startsWith(`${feeder}-`));
    const gateway = gatewayOf[feeder]!;
    const id = `relay-${feeder}`;
    (doc.devices as Json[]).push({
      id,
      name: `Load-shed relays, feeder ${feeder.slice(1)}`,
      kind: 'shed-relay',
      gateway: gateway.id,
      endpoint: { host: gateway.host, port: gateway.port, unitId: unitOf[feeder] },
      bus: `${feeder}-head`,
      pollPeriodMs: 2000,
      timeoutMs: 1000,
      registerMap: {
        type: 'custom',
        points: members.map((m, i) => ({ name: m.id, address: i, type: 'uint16', unit: '' })),
      },
    });
    for (const m of members) m.shedRelay = id;
  }
  return doc;
}

export function demoWithShedRelays(): SiteFile {
  const result = validateSite(demoWithShedRelaysJson());
  if (!result.ok) throw new Error(`demo site with relays invalid: ${JSON.stringify(result.problems)}`);
  return result.value;
}
