// Market settings a manager saves while the console runs: the next interval settles under them,
// the ledger books the new site snapshot before it, and a change of interval length waits for a
// restart (with an alarm) rather than misaligning the intervals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEventName } from '../../shared/api/contract.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { ConsoleContext } from '../../electron/platform/console-part.ts';
import type { SiteChange } from '../../electron/site/site-store.ts';
import { Ledger } from '../../electron/market/ledger.ts';
import { createSettlementPart } from '../../electron/market/settlement-part.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';

const MIN15 = 15 * 60_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-settings-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('saved market settings in live settlement', () => {
  const site = demoSite();
  const startMs = Date.parse('2026-06-20T10:00:00Z');
  const measured = [...physicsIntervals(site, { startMs, intervals: 3, stepSeconds: 30 })];
  let now = startMs;
  const events: Array<{ event: ApiEventName; payload: unknown }> = [];
  const siteListeners: Array<(change: SiteChange) => void> = [];
  // What the site store tells its subscribers after a save.
  const saved = (s: SiteFile) => siteListeners.forEach((l) => l({ site: s, actor: 'admin', timeMs: now }));
  const ctx = {
    sites: {
      current: () => site,
      subscribe: (l: (change: SiteChange) => void) => {
        siteListeners.push(l);
        return () => undefined;
      },
    },
    dataDir: tmp,
    snapshot: () => ({ totals: { socFraction: 0.5 } }),
    emit: (event: ApiEventName, payload: unknown) => events.push({ event, payload }),
    log: () => {},
    now: () => now,
  } as unknown as ConsoleContext;
  const source = { energies: (s: number) => measured.find((x) => x.startMs === s) ?? null };
  const part = createSettlementPart(ctx, { source, timing: { delayMs: 30_000, lateBoundMs: 60_000 } });

  it('settles the interval after a save under the saved preset, with the new site snapshot booked first', () => {
    now = startMs + MIN15 + 30_000;
    const before = part.tick();
    expect(before.map((o) => o.settlement.preset)).toEqual([site.market.preset]);
    expect(site.market.preset).not.toBe('suncontract');

    saved({ ...site, market: { ...site.market, preset: 'suncontract' } });
    now = startMs + 2 * MIN15 + 30_000;
    const after = part.tick();
    expect(after.map((o) => o.settlement.preset)).toEqual(['suncontract']);
  });

  it('keeps the interval length until a restart and says so', () => {
    saved({ ...site, market: { ...site.market, intervalMinutes: 30 } });
    const alarm = events.find((e) => e.event === 'settlement/alarm');
    expect((alarm?.payload as { message: string }).message).toMatch(
      /interval length takes effect when the console restarts/,
    );
    now = startMs + 3 * MIN15 + 30_000;
    expect(part.tick().map((o) => o.settlement.startMs)).toEqual([startMs + 2 * MIN15]);
  });

  it('left the ledger with one site entry per set of settings it settled under', async () => {
    await part.stop?.();
    const ledger = Ledger.open(tmp, { mustExist: true, readOnly: true });
    try {
      const sites = ledger.siteEntries();
      expect(sites).toHaveLength(2);
      expect(sites[1]!.payload).toContain('suncontract');
    } finally {
      ledger.close();
    }
  });
});
