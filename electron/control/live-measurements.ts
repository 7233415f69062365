// What the controller reads each second on the live console, taken from the site state
// (electron/live/site-state.ts): PCC meter (grid side of the breaker), breaker controller, battery
// inverters (the island side: their terminals see the site's buses), PV and member meters grouped
// by shed tier. Whatever the quality policy does not count is null: a stale, bad or missing reading
// is "unknown", never zero, and a sum with an unknown member is unknown, never the rest's sum.
import { batteryModeOfValue } from '../../shared/api/battery-modes.ts';
import type { DeviceLive, LiveSnapshot, Quantity, SumKW } from '../../shared/api/live.ts';
import { deviceAnswering, knownValue } from '../../shared/live/reading-quality.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import type { BatteryMeasurement, Measurements, PccMeasurement, TierMeasurement } from './measurements.ts';

const whole = (sum: SumKW): number | null => (sum.complete ? sum.valueKW : null);

function phaseAcross(device: DeviceLive | undefined): number | null {
  if (device?.state !== 'online') return null;
  return knownValue(device.readings.phaseDifferenceDeg);
}

export class LiveMeasurements {
  private readonly tiers: Array<{ tier: number; members: string[] }>;
  private readonly batteries: Array<{
    id: string;
    ratedKW: number;
    capacityKWh: number;
    pollPeriodMs: number;
  }>;

  constructor(private readonly site: SiteFile) {
    const byTier = new Map<number, string[]>();
    for (const m of site.members) byTier.set(m.priorityTier, [...(byTier.get(m.priorityTier) ?? []), m.id]);
    this.tiers = [...byTier.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([tier, members]) => ({ tier, members }));
    this.batteries = (site.batteryPool?.inverters ?? []).map((id) => {
      const device = site.devices.find((d) => d.id === id);
      return {
        id,
        ratedKW: device?.ratedKW ?? 0,
        capacityKWh: device?.capacityKWh ?? 0,
        pollPeriodMs: device?.pollPeriodMs ?? 1000,
      };
    });
  }

  /** True while a device the controller depends on has not been read for the first time. */
  firstReadPending(snapshot: LiveSnapshot): boolean {
    const needed = new Set(this.batteries.map((b) => b.id));
    if (this.site.grid.kind === 'connected') {
      needed.add(this.site.grid.pcc.meter);
      needed.add(this.site.grid.pcc.breaker);
    }
    return snapshot.devices.some((d) => needed.has(d.id) && d.state === 'connecting');
  }

  /**
   * True when the PCC meter and every answering battery inverter have been read since `sinceMs`:
   * balancing the PCC on a meter reading older than the last setpoint (or a battery reading older
   * than the meter's) chases its own tail.
   */
  readSince(snapshot: LiveSnapshot, sinceMs: number): boolean {
    const times: Array<number | undefined> = [];
    const devices = new Map(snapshot.devices.map((d) => [d.id, d]));
    if (this.site.grid.kind === 'connected')
      times.push(devices.get(this.site.grid.pcc.meter)?.readings.powerKW?.timeMs);
    for (const b of this.batteries) {
      const d = devices.get(b.id);
      if (d?.state === 'online') times.push(d.readings.powerKW?.timeMs);
    }
    return times.every((t) => t !== undefined && t >= sinceMs);
  }

  from(snapshot: LiveSnapshot, timeMs: number): Measurements {
    const devices = new Map(snapshot.devices.map((d) => [d.id, d]));
    const read = (id: string | undefined, q: Quantity): number | null => {
      const device = id === undefined ? undefined : devices.get(id);
      return device && device.state === 'online' ? knownValue(device.readings[q]) : null;
    };

    let pcc: PccMeasurement | null = null;
    if (this.site.grid.kind === 'connected') {
      const { meter, breaker } = this.site.grid.pcc;
      const voltageV = read(meter, 'voltageV');
      const frequencyHz = read(meter, 'frequencyHz');
      const powerKW = read(meter, 'powerKW');
      const closed = read(breaker, 'breakerClosed');
      const tripped = read(breaker, 'breakerTripped');
      pcc = {
        quality: voltageV !== null && frequencyHz !== null && powerKW !== null ? 'good' : 'unknown',
        voltageV,
        frequencyHz,
        powerKW,
        breakerClosed: closed === null ? null : closed !== 0,
        breakerTripped: tripped === null ? null : tripped !== 0,
        // Only a sync-check relay (or a breaker controller with one) measures the angle across
        // the open breaker; without one the sync check refuses to close, as it must.
        phaseDifferenceDeg: phaseAcross(devices.get(breaker)),
      };
    }

    const batteries: BatteryMeasurement[] = this.batteries.map((b) => {
      const device: DeviceLive | undefined = devices.get(b.id);
      // Answering by the quality policy: read in its last cycle, and that read still fresh. An
      // inverter whose cycle hangs on a timeout is not answering once its last read has aged out.
      const answering = device !== undefined && deviceAnswering(device, b.pollPeriodMs, snapshot.timeMs);
      return {
        id: b.id,
        ratedKW: b.ratedKW,
        capacityKWh: b.capacityKWh,
        socFraction: read(b.id, 'socFraction'),
        powerKW: read(b.id, 'powerKW'),
        mode: batteryModeOfValue(read(b.id, 'batteryMode')),
        // An inverter that does not answer, or answers that it is in fault (tripped: it refuses
        // commands until reset), cannot be counted on to form the island; one not read yet is
        // unknown. A fault point the device does not have (or that read badly) is no fault.
        available:
          device === undefined || device.state === 'connecting'
            ? null
            : answering && read(b.id, 'batteryFault') !== 1,
      };
    });

    // The island side: the inverters' terminal voltage and frequency, from those that answer.
    const volts = this.batteries.map((b) => read(b.id, 'voltageV')).filter((v): v is number => v !== null);
    const hertz = this.batteries.map((b) => read(b.id, 'frequencyHz')).filter((v): v is number => v !== null);
    const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

    const tiers: TierMeasurement[] = this.tiers.map(({ tier, members }) => {
      let load = 0;
      for (const id of members) {
        const v = knownValue(snapshot.members[id]);
        if (v === null) return { tier, loadKW: null, shed: null };
        load += v;
      }
      // Relays in the demo site have no position feedback mapped to a quantity.
      return { tier, loadKW: load, shed: null };
    });

    return {
      timeMs,
      pcc,
      island: { voltageV: mean(volts), frequencyHz: mean(hertz) },
      pool: {
        // Null unless every inverter's SoC counts: one silent inverter's last SoC must not stand
        // in for the pool's, and the others' alone are not the pool's either.
        socFraction: snapshot.totals.socFraction,
        powerKW: whole(snapshot.totals.battery),
        batteries,
      },
      pv: { powerKW: whole(snapshot.totals.pv), availableKW: null },
      tiers,
    };
  }
}
