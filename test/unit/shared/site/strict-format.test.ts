// The site format is strict: an unknown key anywhere is an error at its own path, and a timezone
// must be an IANA zone.
import { describe, expect, it } from 'vitest';
import { isIanaTimeZone } from '../../../../shared/site/schema.ts';
import { validateSite } from '../../../../shared/site/validate-site.ts';
import { demoSiteJson } from '../../../fixtures/demo-site.ts';

type Json = Record<string, any>;

function problemsOf(mutate: (site: Json) => void): string[] {
  const site = demoSiteJson() as Json;
  mutate(site);
  const result = validateSite(site);
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('unknown keys', () => {
  it('a misspelt shedRelay is an error at its path, not a clinic without its relay', () => {
    const problems = problemsOf((s) => {
      const clinic = s.members.find((m: Json) => m.id === 'clinic');
      clinic.shedRelais = clinic.shedRelay ?? 'relay-north';
      delete clinic.shedRelay;
    });
    const at = demoSiteJson().members as Json[];
    const i = at.findIndex((m) => m.id === 'clinic');
    expect(problems).toEqual([
      `members[${i}].shedRelais: unknown key 'shedRelais': not part of the site format (a misspelt key?)`,
    ]);
  });

  it('is reported at every depth: the document, a device endpoint, a custom point, the market', () => {
    const problems = problemsOf((s) => {
      s.comment = 'x';
      s.devices[0].endpoint.unitID = 3;
      s.market.virtualStorage = { allowance: { kWhPerYear: 100, paybackPricePerKWh: 0.1, extra: 1 } };
      s.market.presetz = 'uniform';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "comment: unknown key 'comment': not part of the site format (a misspelt key?)",
        "devices[0].endpoint.unitID: unknown key 'unitID': not part of the site format (a misspelt key?)",
        "market.presetz: unknown key 'presetz': not part of the site format (a misspelt key?)",
        "market.virtualStorage.allowance.extra: unknown key 'extra': not part of the site format (a misspelt key?)",
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('the market blocks other parts keep are declared and checked', () => {
    expect(
      problemsOf((s) => {
        s.market.settlement = { delaySeconds: 30, maxCatchUpHours: 48 };
        s.market.virtualStorage = { oneWayEfficiency: 0.9 };
      }),
    ).toEqual([]);
    expect(problemsOf((s) => (s.market.settlement = { delaySeconds: -1 }))).toEqual([
      'market.settlement.delaySeconds: must be zero or a positive number of seconds',
    ]);
  });
});

describe('timezone', () => {
  it('refuses a zone that is not IANA, and a bare offset', () => {
    expect(problemsOf((s) => (s.site.timezone = 'Mars/Olympus'))).toEqual([
      'site.timezone: must be an IANA time zone such as Europe/Lisbon or UTC',
    ]);
    expect(isIanaTimeZone('+01:00')).toBe(false);
  });

  it('accepts IANA zones, UTC and links', () => {
    for (const zone of ['UTC', 'Europe/Lisbon', 'America/Sao_Paulo', 'Asia/Calcutta', 'Etc/GMT+5'])
      expect(isIanaTimeZone(zone), zone).toBe(true);
  });
});
