// The site state built from hand-made device readings on the demo village. Every member meter
// reads 1 kW of import, the community PV inverter 20 kW, battery-1 SoC 50 % at 10 kW discharge,
// battery-2 SoC 80 % charging at 4 kW; both inverters hold 100 kWh. Expected figures are worked
// by hand from those numbers (see each comment).
import { describe, expect, it } from 'vitest';
import type { DeviceLive, Quantity, Reading } from '../../../../shared/api/live.ts';
import { LiveSite, SiteStateBuilder } from '../../../../electron/live/site-state.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const NOW = 1_000_000;

function device(id: string, readings: Partial<Record<Quantity, number>>, readMs = NOW): DeviceLive {
  const out: DeviceLive['readings'] = {};
  for (const [q, value] of Object.entries(readings) as Array<[Quantity, number]>)
    out[q] = { value, unit: '', quality: 'good', timeMs: readMs } satisfies Reading;
  return {
    id,
    kind: site.devices.find((d) => d.id === id)?.kind ?? 'member-meter',
    state: 'online',
    lastGoodMs: readMs,
    latencyMs: 3,
    error: null,
    readings: out,
  };
}

/** Every member meter and both pool inverters, all read just now. */
function devices(): DeviceLive[] {
  const meters = site.members.map((m) => device(m.meter, { powerKW: m.meter === 'community-pv' ? 20 : 1 }));
  return [
    ...meters,
    device('battery-1', { powerKW: 10, socFraction: 0.5 }),
    device('battery-2', { powerKW: -4, socFraction: 0.8 }),
  ];
}

const silent = (d: DeviceLive): DeviceLive => ({
  ...d,
  state: 'offline',
  error: 'timed out',
  readings: Object.fromEntries(Object.entries(d.readings).map(([q, r]) => [q, { ...r, quality: 'bad' }])),
});

describe('site state: every device answering', () => {
  const state = new SiteStateBuilder(site).build(devices(), NOW);

  it('sums complete totals', () => {
    // 45 members: community-solar is metered by its PV inverter (20 kW), the other 44 import 1 kW each.
    expect(state.totals.pv).toEqual({ valueKW: 20, complete: true, missing: [] });
    expect(state.totals.load).toEqual({ valueKW: 44, complete: true, missing: [] });
    // 10 kW discharging + 4 kW charging.
    expect(state.totals.battery).toEqual({ valueKW: 6, complete: true, missing: [] });
    // (0.5 × 100 + 0.8 × 100) / 200 = 0.65
    expect(state.totals.socFraction).toBeCloseTo(0.65, 12);
    expect(state.totals.socMissing).toEqual([]);
    // 45 member meters and 2 inverters.
    expect(state.totals.devicesOnline).toBe(47);
    expect(state.members['community-solar']?.value).toBe(-20);
  });

  it('sums branch flows from the members below them', () => {
    // f1-n4 feeds h01, h07, h09 and h14: 4 × 1 kW away from the root.
    expect(state.branches['f1-n4-line']).toMatchObject({
      value: 4,
      quality: 'good',
      measured: false,
      missing: [],
    });
    // Feeder 1 (no head-meter reading here) carries its 16 members' 16 kW.
    expect(state.branches['f1-main']).toMatchObject({ value: 16, quality: 'good', measured: false });
  });
});

describe('site state: a silent inverter and a silent meter', () => {
  const stale = devices().map((d) =>
    d.id === 'battery-2' ? device('battery-2', { powerKW: -4, socFraction: 0.8 }, NOW - 3001) : d,
  );
  const all = stale.map((d) => (d.id === 'h01-meter' ? silent(d) : d));
  const state = new SiteStateBuilder(site).build(all, NOW);

  it('makes the pool SoC unknown when one inverter last answered more than three periods ago', () => {
    expect(state.totals.socFraction).toBeNull();
    expect(state.totals.socMissing).toEqual(['battery-2']);
    // Its last SoC is kept on the device for diagnosis, marked stale, and carried nowhere else.
    expect(state.devices.find((d) => d.id === 'battery-2')?.readings.socFraction).toMatchObject({
      value: 0.8,
      quality: 'stale',
    });
    expect(state.batteries['battery-2']?.socFraction).toMatchObject({ value: null, quality: 'stale' });
    // battery-1's SoC alone is not the pool's.
    expect(state.batteries['battery-1']?.socFraction.value).toBe(0.5);
  });

  it('says which sums are partial, and sums only what is known', () => {
    expect(state.totals.battery).toEqual({ valueKW: 10, complete: false, missing: ['battery-2'] });
    expect(state.totals.load).toEqual({ valueKW: 43, complete: false, missing: ['h01'] });
    expect(state.totals.pv.complete).toBe(true);
    expect(state.members.h01).toMatchObject({ value: null, quality: 'bad' });
    expect(state.branches['f1-n4-line']).toMatchObject({ value: 3, quality: 'stale', missing: ['h01'] });
    expect(state.branches['f1-n3-line']).toMatchObject({ value: 4, quality: 'good', missing: [] });
  });

  it('counts as online only the devices answering now', () => {
    expect(state.totals.devicesOnline).toBe(45);
    expect(state.totals.devicesTotal).toBe(47);
  });
});

describe('LiveSite: one state per cycle', () => {
  it('hands every reader the same state until a cycle completes or time moves on', () => {
    let now = NOW;
    let list = devices();
    let cycle: () => void = () => undefined;
    const live = new LiveSite(
      site,
      {
        status: () => list,
        onCycle: (listener) => {
          cycle = listener;
          return () => undefined;
        },
      },
      () => now,
    );
    const first = live.current();
    now += 50;
    expect(live.current()).toBe(first);
    list = list.map((d) => (d.id === 'h01-meter' ? silent(d) : d));
    cycle();
    const second = live.current();
    expect(second).not.toBe(first);
    expect(second.totals.load.missing).toEqual(['h01']);
    // With no cycle, readings still age: just over 3 s later the inverters' (1 s period) are stale,
    // just over 6 s later every device's (the demo polls at 1 s or 2 s).
    now = NOW + 3001;
    const later = live.current();
    expect(later.totals.socFraction).toBeNull();
    expect(later.totals.socMissing).toEqual(['battery-1', 'battery-2']);
    now = NOW + 6001;
    expect(live.current().totals.devicesOnline).toBe(0);
  });
});
