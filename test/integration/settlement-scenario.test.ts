// Settlement riding on the scenario runner, as `commonwatt simulate --scenario FILE --data DIR`
// does: two days of the demo village with a six-hour grid outage, the console's own controller
// deciding the mode. Islanded intervals settle with the mode it recorded, without the grid, and
// the virtual storage reconciles and money balances in every interval.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHeadlessSettlement } from '../../electron/market/headless-settlement.ts';
import { kpisOver, settlementsInForce } from '../../electron/market/ledger-queries.ts';
import { Ledger } from '../../electron/market/ledger.ts';
import { validateScenario } from '../../electron/sim/scenario.ts';
import { runScenario } from '../../electron/sim/scenario-runner.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import { demoSite } from '../fixtures/demo-site.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-scenario-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('settling a scenario run', () => {
  it('settles every interval with the recorded mode, reconciled and balanced', async () => {
    const site = demoSite();
    const checked = validateScenario({
      description: 'two June days with an evening outage',
      start: '2026-06-01T00:00:00+01:00',
      durationHours: 48,
      initialSoC: 0.5,
      weather: 'clear',
      stepSeconds: 10,
      events: [
        { at: 'PT20H', type: 'grid-loss', kind: 'outage' },
        { at: 'PT26H', type: 'grid-restore' },
      ],
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const settlement = createHeadlessSettlement(tmp, site);
    const given: IntervalEnergies[] = [];
    await runScenario({
      site,
      scenario: checked.value,
      onInterval: (e) => {
        given.push(e);
        settlement.settle(e);
      },
    });
    const summary = settlement.summary();
    settlement.close();
    expect(summary.settled).toBe(given.length);
    expect(given.length).toBeGreaterThanOrEqual(190);
    expect(summary.alarms).toEqual([]);

    const ledger = Ledger.open(tmp, { mustExist: true, readOnly: true });
    const records = settlementsInForce(ledger, 0, Number.MAX_SAFE_INTEGER);
    const k = kpisOver(ledger, 0, Number.MAX_SAFE_INTEGER);
    expect(ledger.verify().ok).toBe(true);
    ledger.close();

    const islanded = records.filter((r) => r.mode !== 'grid-connected');
    // 20:00 to 02:00 local, give or take the controller's transitions.
    expect(islanded.length).toBeGreaterThanOrEqual(20);
    expect(islanded.length).toBeLessThanOrEqual(26);
    for (const r of records) {
      const recorded = given.find((e) => e.startMs === r.startMs)!;
      expect(r.mode).toBe(recorded.mode);
      const st = r.closing.storage!;
      const held = Object.values(st.accounts).reduce((t, v) => t + v, 0) + st.communityKWh + st.reserveKWh;
      expect(Math.abs(held - st.storedKWh)).toBeLessThan(1e-6);
      expect(Math.abs(r.money.conservationError)).toBeLessThan(1e-6);
    }
    for (const r of islanded) {
      expect(r.market.gridImportKWh).toBe(0);
      expect(r.market.gridExportKWh).toBe(0);
      expect(r.money.grid).toBe(0);
      // The essential loads are served before anyone else.
      const essential = r.members.filter((l) => ['clinic', 'school', 'water-pump'].includes(l.member));
      const others = r.members.filter((l) => !['clinic', 'school', 'water-pump'].includes(l.member));
      if (others.some((l) => l.unservedKWh > 1e-6))
        expect(essential.every((l) => l.unservedKWh < 1e-9)).toBe(true);
    }
    expect(k.islandedIntervals).toBe(islanded.length);
    expect(k.maxReconciliationErrorKWh).toBeLessThan(1e-6);
    expect(
      Math.abs(k.money.membersNetCost - (k.money.grid + k.money.community + k.money.distributionOperator)),
    ).toBeLessThan(1e-6);
  });
});
