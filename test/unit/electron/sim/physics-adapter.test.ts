// The controller's view of the simulator: devices that do not answer read as unknown and do not
// obey, a stuck breaker does not move, a tripped inverter refuses orders, and a tier is switched
// through its members' shed relays.
import { describe, expect, it } from 'vitest';
import { PhysicsAdapter } from '../../../../electron/sim/physics-adapter.ts';
import { SitePhysics } from '../../../../electron/sim/site-physics.ts';
import { demoSite } from '../../../fixtures/demo-site.ts';

const site = demoSite();
const t0 = Date.parse('2026-06-21T12:00:00+01:00');

describe('physics adapter', () => {
  it('reads a PCC meter that does not answer as unknown, not as zero', () => {
    const physics = new SitePhysics(site, t0);
    const adapter = new PhysicsAdapter(physics);
    expect(adapter.measure().pcc).toMatchObject({ quality: 'good', voltageV: expect.any(Number) });
    adapter.offline.add('pcc-meter');
    expect(adapter.measure().pcc).toMatchObject({
      quality: 'unknown',
      voltageV: null,
      frequencyHz: null,
      powerKW: null,
    });
    expect(adapter.measure().pcc?.breakerClosed).toBe(true);
  });

  it('switches a tier through its relays, and fails while one of them does not answer', async () => {
    const physics = new SitePhysics(site, t0);
    const adapter = new PhysicsAdapter(physics);
    expect(site.members.find((m) => m.id === 'h01')?.shedRelay).toBe('relay-tier-3');
    expect(await adapter.setTierShed(3, true)).toEqual({ ok: true });
    expect(physics.state.members.get('h01')?.shed).toBe(true);
    expect(physics.state.members.get('clinic')?.shed).toBe(false);
    adapter.offline.add('relay-tier-3');
    expect(await adapter.setTierShed(3, false)).toEqual({
      ok: false,
      reason: 'relay-tier-3 not answering',
    });
    expect(physics.state.members.get('h01')?.shed).toBe(true);
    expect(adapter.measure().tiers.find((t) => t.tier === 3)?.shed).toBeNull();
  });

  it('does not move a stuck breaker, and tripped inverters refuse orders', async () => {
    const physics = new SitePhysics(site, t0);
    const adapter = new PhysicsAdapter(physics);
    physics.setBreakerStuck(true);
    expect((await adapter.openBreaker()).ok).toBe(false);
    expect(physics.state.breakerClosed).toBe(true);
    physics.tripBattery('battery-1');
    physics.tripBattery('battery-2');
    const r = await adapter.setBatteryMode('grid-forming', 'test');
    expect(r).toEqual({ ok: false, reason: 'battery-1 tripped; battery-2 tripped' });
    expect(adapter.measure().pool.batteries.every((b) => b.available === false)).toBe(true);
  });

  it('refuses to close the breaker when the interlock says no', async () => {
    const physics = new SitePhysics(site, t0);
    physics.setBreaker(false);
    const adapter = new PhysicsAdapter(physics, {
      canClosePcc: () => ({ ok: false, reason: 'sync check failed' }),
    });
    expect(await adapter.closeBreaker()).toEqual({ ok: false, reason: 'interlock: sync check failed' });
    expect(physics.state.breakerClosed).toBe(false);
  });
});
