// The control picture the 3D topology draws, derived once from the controller's state: islanded,
// energised (dark in a blackout even while the island voltage is unknown), shed tiers and members,
// and the count of alarms still active.
import { describe, expect, it } from 'vitest';
import type { ControlState, ShedTierState } from '../../../../shared/api/control-api.ts';
import { controlSnapshot } from '../../../../shared/api/control-snapshot.ts';

function tier(n: number, members: string[], shed: boolean): ShedTierState {
  return {
    tier: n,
    essential: n === 0,
    members,
    shed,
    manual: false,
    shedBelowSoC: 0.2,
    restoreAboveSoC: 0.3,
    loadKW: null,
    switchings: 0,
    lastSwitchMs: null,
  };
}

function state(over: Partial<ControlState> = {}): ControlState {
  return {
    timeMs: 0,
    siteKind: 'connected',
    mode: 'grid-connected',
    sinceMs: 0,
    reason: '',
    pcc: {
      quality: 'good',
      voltageV: 230,
      frequencyHz: 50,
      powerKW: 3,
      breakerClosed: true,
      breakerTripped: false,
      gridStatus: 'present',
      gridReason: '',
      gridStableForS: null,
      stableRequiredS: 300,
    },
    island: { voltageV: 230, frequencyHz: 50, energised: true },
    pool: { socFraction: 0.5, powerKW: 0, availableKW: 10, reserveSoC: 0.3, reserveKWh: 20, batteries: [] },
    pvLimitFraction: 1,
    tiers: [tier(0, ['clinic'], false), tier(1, ['shop'], false), tier(2, ['h01', 'h02'], false)],
    syncCheck: null,
    schedule: [],
    alarms: [],
    transitions: [],
    events: [],
    deadBandKW: 0.5,
    ...over,
  };
}

describe('the control picture', () => {
  it('is grid-fed and live in a plain grid-connected state', () => {
    expect(controlSnapshot(state())).toEqual({
      mode: 'grid-connected',
      islanded: false,
      energised: true,
      breakerClosed: true,
      shedTiers: [],
      shedMembers: [],
      activeAlarms: 0,
    });
  });

  it('is dark in a blackout even while the island voltage is not measured', () => {
    const s = state({ mode: 'blackout', island: { voltageV: null, frequencyHz: null, energised: null } });
    expect(controlSnapshot(s).energised).toBe(false);
  });

  it('counts the buses live when the island voltage is unknown outside a blackout', () => {
    const s = state({ mode: 'black-start', island: { voltageV: null, frequencyHz: null, energised: null } });
    expect(controlSnapshot(s).energised).toBe(true);
    const dead = state({ mode: 'islanded', island: { voltageV: 0, frequencyHz: null, energised: false } });
    expect(controlSnapshot(dead).energised).toBe(false);
  });

  it('is islanded with the breaker open, the grid lost, or no grid at all', () => {
    const pcc = state().pcc!;
    expect(controlSnapshot(state({ pcc: { ...pcc, breakerClosed: false } })).islanded).toBe(true);
    expect(controlSnapshot(state({ pcc: { ...pcc, gridStatus: 'lost' } })).islanded).toBe(true);
    expect(controlSnapshot(state({ siteKind: 'off-grid', pcc: null })).islanded).toBe(true);
    expect(controlSnapshot(state({ pcc: { ...pcc, breakerClosed: null } })).islanded).toBe(false);
  });

  it('lists the shed tiers and their members, and counts only active alarms', () => {
    const s = state({
      tiers: [tier(0, ['clinic'], false), tier(1, ['shop'], true), tier(2, ['h01', 'h02'], true)],
      alarms: [
        {
          id: 1,
          code: 'grid-lost',
          severity: 'critical',
          message: '',
          raisedMs: 0,
          clearedMs: null,
          acknowledged: true,
        },
        {
          id: 2,
          code: 'battery-b1',
          severity: 'warning',
          message: '',
          raisedMs: 0,
          clearedMs: 5,
          acknowledged: false,
        },
        {
          id: 3,
          code: 'soc-low',
          severity: 'warning',
          message: '',
          raisedMs: 0,
          clearedMs: null,
          acknowledged: false,
        },
      ],
    });
    const snapshot = controlSnapshot(s);
    expect(snapshot.shedTiers).toEqual([1, 2]);
    expect(snapshot.shedMembers).toEqual(['shop', 'h01', 'h02']);
    expect(snapshot.activeAlarms).toBe(2);
  });
});
