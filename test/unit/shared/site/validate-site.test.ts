import { describe, expect, it } from 'vitest';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';

type Json = Record<string, any>;

function problemsOf(mutate: (site: Json) => void): string[] {
  const site = demoSiteJson() as Json;
  mutate(site);
  const result = validateSite(site);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('site file validation', () => {
  it('accepts the demo village with its parts', () => {
    const result = validateSite(demoSiteJson());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const site = result.value;
    expect(site.members.filter((m) => m.category === 'household').length).toBeGreaterThanOrEqual(38);
    expect(site.members.map((m) => m.id)).toEqual(
      expect.arrayContaining(['clinic', 'school', 'water-pump', 'shop', 'community-solar']),
    );
    expect(site.batteryPool?.inverters).toHaveLength(2);
    expect(site.topology.branches.filter((b) => b.from === site.topology.root)).toHaveLength(3);
    expect(site.gateways).toHaveLength(2);
    // Many unit ids behind each gateway port.
    for (const gw of site.gateways)
      expect(site.devices.filter((d) => d.gateway === gw.id).length).toBeGreaterThan(10);
  });

  it('names the path of a wrong type and of a missing rating', () => {
    const problems = problemsOf((s) => {
      s.site.latitude = 'north';
      delete s.topology.branches[2].ratingKVA;
    });
    expect(problems).toContain('site.latitude: Invalid input: expected number, received string');
    expect(problems.some((p) => p.startsWith('topology.branches[2].ratingKVA:'))).toBe(true);
  });

  it('rejects negative ratings', () => {
    const problems = problemsOf((s) => {
      s.topology.branches[0].ratingA = -5;
    });
    expect(problems).toEqual(['topology.branches[0].ratingA: must be a positive number of amperes']);
  });

  it('reports every unknown reference, not just the first', () => {
    const problems = problemsOf((s) => {
      s.members[0].bus = 'nowhere';
      s.members[1].meter = 'no-such-meter';
      s.devices[3].gateway = 'gw-mars';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "members[0].bus: unknown bus 'nowhere'",
        "members[1].meter: unknown device 'no-such-meter'",
        "devices[3].gateway: unknown gateway 'gw-mars'",
      ]),
    );
  });

  it('checks the member ids the market settings name', () => {
    const problems = problemsOf((s) => {
      s.market.members = {
        ghost: { bidPricePerKWh: 0.2 },
        [s.members[0].id]: { preferences: { producers: ['nobody'] } },
      };
      s.market.fixedRate = { members: ['no-clinic'] };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "market.members.ghost: unknown member 'ghost'; the keys are members' ids",
        `market.members.${(demoSiteJson() as Json).members[0].id}.preferences.producers[0]: unknown member 'nobody'`,
        "market.fixedRate.members[0]: unknown member 'no-clinic'",
      ]),
    );
  });

  it('reports duplicate ids and duplicate endpoints', () => {
    const problems = problemsOf((s) => {
      s.members[5].id = s.members[4].id;
      s.devices[6].endpoint = { ...s.devices[5].endpoint };
      s.devices[6].gateway = s.devices[5].gateway;
    });
    expect(problems.some((p) => p.startsWith('members[5].id: duplicate id'))).toBe(true);
    expect(
      problems.some((p) => p.startsWith('devices[6].endpoint: endpoint') && p.includes('already used')),
    ).toBe(true);
  });

  it('rejects a loop in the radial topology', () => {
    const problems = problemsOf((s) => {
      s.topology.branches.push({ id: 'tie', from: 'f1-n4', to: 'f2-n1', ratingKVA: 50, ratingA: 70 });
    });
    expect(problems.some((p) => p.includes('radial network') && p.includes("'f2-n1'"))).toBe(true);
  });

  it('rejects an island in the topology', () => {
    let index = -1;
    const problems = problemsOf((s) => {
      index = s.topology.buses.push({ id: 'lonely', kind: 'node' }) - 1;
    });
    expect(problems).toEqual([
      `topology.buses[${index}]: bus 'lonely' is not connected to the root 'pcc' (island)`,
    ]);
  });

  it('rejects a device of the wrong kind in a role', () => {
    const problems = problemsOf((s) => {
      s.grid.pcc.meter = 'battery-1';
    });
    expect(problems).toContain(
      "grid.pcc.meter: device 'battery-1' is a battery-inverter, expected pcc-meter",
    );
  });

  it('rejects tariffs that leave a gap or overlap', () => {
    expect(problemsOf((s) => s.tariff.periods.pop())).toEqual([
      'tariff.periods: no tariff period covers 22:00',
    ]);
    expect(problemsOf((s) => (s.tariff.periods[1].from = '06:00'))).toEqual([
      'tariff.periods[1]: overlaps another period at 06:00',
    ]);
  });

  it('accepts an off-grid site', () => {
    const site = demoSiteJson() as Json;
    site.grid = { kind: 'off-grid' };
    site.devices = site.devices.filter((d: Json) => d.kind !== 'pcc-meter' && d.kind !== 'pcc-breaker');
    expect(validateSite(site).ok).toBe(true);
  });

  it('rejects a document that is not a site file', () => {
    const result = validateSite({ format: 'something/2' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['format', 'site', 'topology', 'members']),
    );
  });
});
