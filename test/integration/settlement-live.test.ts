// The console's settlement part on a real ledger with a scripted source and clock: each closed
// interval is settled a little after it closes; late readings are awaited up to the bound, then
// the interval is settled with what exists and flagged; the manager's re-settle after the
// readings arrive is an adjustment entry; islanded intervals use the recorded mode.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEventName } from '../../shared/api/contract.ts';
import type { IntervalEnergies, IntervalMode } from '../../shared/settlement/interval-energy.ts';
import type { ConsoleContext } from '../../electron/platform/console-part.ts';
import { SiteStore } from '../../electron/site/site-store.ts';
import { createSettlementPart } from '../../electron/market/settlement-part.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';
import { asAdmin } from '../fixtures/callers.ts';

const MIN15 = 15 * 60_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-live-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('live settlement in the console', () => {
  const site = demoSite();
  const startMs = Date.parse('2026-06-20T08:00:00Z');
  const measured = [...physicsIntervals(site, { startMs, intervals: 8, stepSeconds: 30 })];
  // The historian as the console sees it: h12's meter has not delivered interval 2 yet.
  const withheld = new Set<number>([startMs + 2 * MIN15]);
  const islanded = new Set<number>([startMs + 5 * MIN15]);
  const source = {
    energies(s: number): IntervalEnergies | null {
      const e = measured.find((x) => x.startMs === s);
      if (!e) return null;
      const copy = structuredClone(e);
      if (islanded.has(s)) copy.mode = 'islanded' satisfies IntervalMode;
      if (withheld.has(s)) {
        const h12 = copy.members.find((m) => m.member === 'h12')!;
        h12.importKWh = 0;
        h12.exportKWh = 0;
        h12.complete = false;
        copy.complete = false;
      }
      return copy;
    },
  };
  let now = startMs;
  const events: Array<{ event: ApiEventName; payload: unknown }> = [];
  const ctx = {
    sites: new SiteStore('demo-village.json', site),
    dataDir: tmp,
    snapshot: () => ({ totals: { socFraction: 0.5 } }),
    emit: (event: ApiEventName, payload: unknown) => events.push({ event, payload }),
    log: () => {},
    now: () => now,
  } as unknown as ConsoleContext;
  const part = createSettlementPart(ctx, { source, timing: { delayMs: 30_000, lateBoundMs: 120_000 } });
  afterAll(async () => {
    await part.stop?.();
  });

  it('settles an interval only once it has closed and the delay has passed', () => {
    now = startMs + MIN15 + 29_000;
    expect(part.tick()).toHaveLength(0);
    now = startMs + MIN15 + 30_000;
    const booked = part.tick();
    expect(booked.map((o) => o.settlement.startMs)).toEqual([startMs]);
    expect(booked[0]!.settlement.flags).toEqual([]);
  });

  it('awaits late readings up to the bound, then settles with what exists and flags it', () => {
    now = startMs + 3 * MIN15 + 60_000;
    // Interval 1 settles; interval 2 waits for h12 (it is within its bound), and holds up the rest.
    const first = part.tick();
    expect(first.map((o) => o.settlement.startMs)).toEqual([startMs + MIN15]);
    now = startMs + 3 * MIN15 + 120_000;
    const second = part.tick();
    expect(second[0]!.settlement.startMs).toBe(startMs + 2 * MIN15);
    expect(second[0]!.settlement.flags).toContain('late');
    expect(second[0]!.settlement.incompleteMembers).toEqual(['h12']);
    expect(second.map((o) => o.settlement.startMs)).toContain(startMs + 3 * MIN15 - MIN15);
  });

  it('catches up in order, in slices, and uses the recorded mode for islanded intervals', () => {
    now = startMs + 8 * MIN15 + 30_000;
    // Each tick works for a bounded time (the console's timer calls again while work is due).
    const booked = [];
    for (let slice = part.tick(); slice.length > 0; slice = part.tick()) booked.push(...slice);
    expect(booked.map((o) => (o.settlement.startMs - startMs) / MIN15)).toEqual([3, 4, 5, 6, 7]);
    const island = booked.find((o) => o.settlement.startMs === startMs + 5 * MIN15)!.settlement;
    expect(island.mode).toBe('islanded');
    expect(island.market.gridImportKWh).toBe(0);
    expect(island.money.grid).toBe(0);
    expect(part.service.status().lastSettledStartMs).toBe(startMs + 7 * MIN15);
    expect(part.tick()).toHaveLength(0);
  });

  it('books the manager re-settle after the readings arrive as an adjustment entry', async () => {
    const entriesBefore = part.service.status().entries;
    withheld.clear();
    now = startMs + 86_400_000;
    const result = await part.handlers['settlement/resettle'](
      {
        startMs: startMs + 2 * MIN15,
        reason: 'h12 readings arrived',
      },
      asAdmin,
    );
    expect(result.status).toBe('adjusted');
    const h12 = result.delta.find((d) => d.member === 'h12')!;
    const truth = measured[2]!.members.find((m) => m.member === 'h12')!;
    expect(h12.importKWh).toBeCloseTo(truth.importKWh, 6);
    expect(h12.exportKWh).toBeCloseTo(truth.exportKWh, 6);
    expect(part.service.status().entries).toBe(entriesBefore + 1);
    expect(
      events.some(
        (e) => e.event === 'settlement/settled' && (e.payload as { kind: string }).kind === 'adjustment',
      ),
    ).toBe(true);
    const rows = await part.handlers['settlement/intervals'](
      { fromMs: startMs, toMs: startMs + 8 * MIN15 },
      asAdmin,
    );
    expect(
      rows
        .filter((r) => r.startMs === startMs + 2 * MIN15)
        .map((r) => r.kind)
        .sort(),
    ).toEqual(['adjustment', 'interval']);
    // The same request again books nothing.
    const again = await part.handlers['settlement/resettle'](
      {
        startMs: startMs + 2 * MIN15,
        reason: 'twice',
      },
      asAdmin,
    );
    expect(again.status).toBe('already-adjusted');
    expect((await part.handlers['settlement/verify']({}, asAdmin)).ok).toBe(true);
  });

  it('told every viewer what it booked and raised an alarm for the late interval', () => {
    const settled = events.filter((e) => e.event === 'settlement/settled');
    expect(settled.filter((e) => (e.payload as { kind: string }).kind === 'interval')).toHaveLength(8);
    const alarms = events
      .filter((e) => e.event === 'settlement/alarm')
      .map((e) => (e.payload as { message: string }).message);
    expect(alarms.some((m) => m.includes('h12'))).toBe(true);
  });

  it('answers the views: members, storage, KPIs and statements over the period', async () => {
    const period = { fromMs: startMs, toMs: startMs + 8 * MIN15 };
    const members = await part.handlers['settlement/members'](period, asAdmin);
    expect(members.members).toHaveLength(site.members.length);
    const totalImport = members.members.reduce((t, m) => t + m.importKWh, 0);
    const metered = measured.reduce((t, e) => t + e.members.reduce((u, m) => u + m.importKWh, 0), 0);
    expect(totalImport).toBeCloseTo(metered, 3);
    const storage = await part.handlers['settlement/storage'](period, asAdmin);
    expect(storage.accountsKWh + storage.communityKWh + storage.reserveKWh).toBeCloseTo(
      storage.storedKWh!,
      3,
    );
    expect(storage.liveSocFraction).toBe(0.5);
    const kpis = await part.handlers['settlement/kpis'](period, asAdmin);
    expect(kpis.intervals).toBe(8);
    expect(kpis.islandedIntervals).toBe(1);
    expect(kpis.maxConservationError).toBeLessThan(1e-6);
    const { statement, html } = await part.handlers['settlement/statement'](
      {
        member: 'h12',
        month: '2026-06',
        html: true,
      },
      asAdmin,
    );
    expect(statement.adjustments).toHaveLength(1);
    expect(html).toContain('h12 readings arrived');
    // Built on the statement worker, beside this part's writer connection.
    expect(part.statements.mode).toBe('worker');
  });
});

describe('a restart long after the last settled interval', () => {
  it('resumes from now and reports the gap instead of booking weeks of empty intervals', async () => {
    const site = demoSite();
    const dir = path.join(tmp, 'gap');
    const old = Date.parse('2026-06-01T10:00:00Z');
    const energies = [...physicsIntervals(site, { startMs: old, intervals: 1, stepSeconds: 60 })][0]!;
    const events: Array<{ event: string; payload: unknown }> = [];
    let now = Date.parse('2026-11-20T10:07:00Z');
    const ctx = {
      sites: new SiteStore('demo-village.json', site),
      dataDir: dir,
      snapshot: () => ({ totals: { socFraction: null } }),
      emit: (event: string, payload: unknown) => events.push({ event, payload }),
      log: () => {},
      now: () => now,
    } as unknown as ConsoleContext;
    const source = { energies: (s: number) => ({ ...structuredClone(energies), startMs: s }) };
    // One interval settled in June, then the console starts again in November.
    let then = old;
    const ledgerPart = createSettlementPart({ ...ctx, now: () => then } as ConsoleContext, {
      source: { energies: () => energies },
    });
    then = old + 20 * 60_000;
    expect(ledgerPart.tick()).toHaveLength(1);
    await ledgerPart.stop?.();

    const part = createSettlementPart(ctx, { source, tickMs: 3_600_000 });
    expect(part.live!.gap).toEqual({ fromMs: old + 15 * 60_000, toMs: Date.parse('2026-11-20T10:15:00Z') });
    await part.start?.();
    const alarm = events.find((e) => e.event === 'settlement/alarm');
    expect((alarm?.payload as { message: string }).message).toMatch(/were not settled/);
    expect(part.live!.next()).toBe(Date.parse('2026-11-20T10:15:00Z'));
    now = Date.parse('2026-11-20T10:31:00Z');
    const booked = part.tick();
    expect(booked.map((o) => o.settlement.startMs)).toEqual([Date.parse('2026-11-20T10:15:00Z')]);
    expect(part.service.status().entries).toBe(3);
    await part.stop?.();
  });
});
