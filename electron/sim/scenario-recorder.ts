// Records a scenario run as a live site would leave its data directory: the simulated meters'
// samples in the historian, and every settlement interval, once closed, settled into the ledger
// from the historian's own interval energies with the mode the controller recorded for it.
// `commonwatt simulate --scenario FILE --data DIR`.
import type { Quantity } from '../../shared/api/live.ts';
import { quantityUnits } from '../../shared/api/live.ts';
import type { IntervalEnergies } from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import { bucketingFor } from '../historian/buckets.ts';
import { openHistorianDb, type Db } from '../historian/database.ts';
import { intervalEnergies } from '../historian/interval-energy.ts';
import { SampleWriter } from '../historian/sample-writer.ts';
import {
  createHeadlessSettlement,
  type HeadlessSettlement,
  type HeadlessSummary,
} from '../market/headless-settlement.ts';
import type { SettleOutcome } from '../market/interval-settler.ts';
import type { ScenarioStep } from './scenario-runner.ts';
import type { SitePhysics } from './site-physics.ts';

export interface RecorderOptions {
  dataDir: string;
  site: SiteFile;
  /** Seconds between samples of every device (a poll period); divides a minute. */
  sampleSeconds?: number;
  /** Told of every interval handed to settlement, with what the ledger made of it. */
  onSettled?: (energies: IntervalEnergies, outcome: SettleOutcome) => void;
}

export interface RecordingSummary {
  dataDir: string;
  sampleSeconds: number;
  samples: number;
  /** Samples the historian dropped as duplicates (a re-run into the same directory). */
  droppedSamples: number;
  intervals: number;
  /** Intervals whose energies the historian marked incomplete (a meter that did not answer). */
  incompleteIntervals: number;
  settlement: HeadlessSummary;
  historianMs: number;
  energiesMs: number;
}

/** Commits are grouped: one transaction per this much simulated time. */
const FLUSH_EVERY_MS = 5 * MS_PER_MINUTE;

type Reading = [Quantity, number];

export class ScenarioRecorder {
  readonly sampleSeconds: number;
  private readonly db: Db;
  private readonly writer: SampleWriter;
  private readonly settlement: HeadlessSettlement;
  private readonly intervalMs: number;
  private readonly sampleMs: number;
  private nextIntervalMs: number | null = null;
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  private simNowMs = 0;
  private intervals = 0;
  private incomplete = 0;
  private historianMs = 0;
  private energiesMs = 0;
  private closed = false;
  private readers: Array<{ device: string; read: () => Reading[] }> | null = null;

  constructor(private readonly options: RecorderOptions) {
    this.sampleSeconds = options.sampleSeconds ?? 10;
    if (!Number.isInteger(this.sampleSeconds) || this.sampleSeconds < 1 || 60 % this.sampleSeconds !== 0)
      throw new Error(
        `the sample period must divide a minute (1, 2, 5, 10, 15, 20, 30 or 60 s), not ${this.sampleSeconds} s`,
      );
    this.sampleMs = this.sampleSeconds * 1000;
    this.intervalMs = options.site.market.intervalMinutes * MS_PER_MINUTE;
    this.db = openHistorianDb(options.dataDir);
    try {
      this.writer = new SampleWriter(this.db, {
        rollups: {
          timeZone: options.site.site.timezone,
          intervalMinutes: options.site.market.intervalMinutes,
        },
        now: () => this.simNowMs,
      });
      this.settlement = createHeadlessSettlement(options.dataDir, options.site);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** The runner's per-step hook: samples every sample period, settles each interval once closed. */
  onStep(step: ScenarioStep): void {
    const t = step.timeMs;
    if (t % this.sampleMs !== 0) return;
    this.simNowMs = t;
    const t0 = performance.now();
    this.sample(step.physics, step.offline, t);
    // Energies of an interval are final once the first sample after its end is committed.
    const due = this.nextIntervalMs !== null && t >= this.nextIntervalMs + this.intervalMs;
    if (due || t - this.lastFlushMs >= FLUSH_EVERY_MS) {
      this.writer.flush();
      this.lastFlushMs = t;
    }
    this.historianMs += performance.now() - t0;
    if (this.nextIntervalMs === null) {
      // The first whole interval: the one that starts at or after the first sample, on the
      // site's local interval grid (as the historian buckets it).
      const start = bucketingFor(this.options.site.site.timezone).start(
        t,
        this.options.site.market.intervalMinutes,
      );
      this.nextIntervalMs = start === t ? t : start + this.intervalMs;
      return;
    }
    while (t >= this.nextIntervalMs + this.intervalMs) {
      this.settleInterval(this.nextIntervalMs, step);
      this.nextIntervalMs += this.intervalMs;
    }
  }

  /** Commits what is left and closes the files. */
  finish(): RecordingSummary {
    if (!this.closed) {
      this.writer.flush();
      this.writer.persistAll();
      this.close();
    }
    return {
      dataDir: this.options.dataDir,
      sampleSeconds: this.sampleSeconds,
      samples: this.writer.written,
      droppedSamples: this.writer.dropped,
      intervals: this.intervals,
      incompleteIntervals: this.incomplete,
      settlement: this.settlement.summary(),
      historianMs: Math.round(this.historianMs),
      energiesMs: Math.round(this.energiesMs),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settlement.close();
    this.db.close();
  }

  private settleInterval(startMs: number, step: ScenarioStep): void {
    const minutes = this.options.site.market.intervalMinutes;
    const t0 = performance.now();
    const energies = intervalEnergies(
      this.db,
      this.options.site,
      startMs,
      minutes,
      step.controller.modeDuring(startMs, minutes),
    );
    this.energiesMs += performance.now() - t0;
    this.intervals++;
    if (!energies.complete) this.incomplete++;
    const outcome = this.settlement.settle(energies);
    this.options.onSettled?.(energies, outcome);
  }

  private sample(physics: SitePhysics, offline: ReadonlySet<string>, timeMs: number): void {
    this.readers ??= deviceReaders(this.options.site, physics);
    for (const { device, read } of this.readers) {
      if (offline.has(device)) continue;
      for (const [quantity, value] of read())
        this.writer.add({ device, quantity, unit: quantityUnits[quantity], timeMs, value, quality: 'good' });
    }
  }
}

/** What each device of the site reports, read from the physics as its register image shows it. */
function deviceReaders(
  site: SiteFile,
  physics: SitePhysics,
): Array<{ device: string; read: () => Reading[] }> {
  const s = physics.state;
  const readers: Array<{ device: string; read: () => Reading[] }> = [];
  for (const device of site.devices) {
    const member = site.members.find((m) => m.meter === device.id);
    const m = member ? s.members.get(member.id) : undefined;
    let read: (() => Reading[]) | null = null;
    switch (device.kind) {
      case 'member-meter':
        if (m)
          read = () => [
            ['powerKW', m.netKW],
            ['energyImportKWh', m.importWh / 1000],
            ['energyExportKWh', m.exportWh / 1000],
          ];
        break;
      case 'pv-inverter':
        // A member metered by its PV inverter: the inverter's AC output and its energy counter.
        if (m)
          read = () => [
            ['powerKW', m.pvKW],
            ['energyExportKWh', m.exportWh / 1000],
          ];
        break;
      case 'battery-inverter': {
        const b = s.batteries.get(device.id);
        // The inverter counts only what it delivers (SunSpec model 103 WH); charging is its power.
        if (b)
          read = () => [
            ['powerKW', b.powerKW],
            ['energyExportKWh', b.dischargedWh / 1000],
            ['socFraction', b.socFraction],
          ];
        break;
      }
      case 'pcc-meter':
        read = () => [
          ['powerKW', s.pccPowerKW],
          ['energyImportKWh', s.pccImportWh / 1000],
          ['energyExportKWh', s.pccExportWh / 1000],
          ['voltageV', s.gridVoltageV],
          ['frequencyHz', s.gridAvailable ? s.gridFrequencyHz : 0],
        ];
        break;
      case 'pcc-breaker':
        read = () => [
          ['breakerClosed', s.breakerClosed ? 1 : 0],
          ['breakerTripped', s.breakerTripped ? 1 : 0],
        ];
        break;
      case 'feeder-meter': {
        const branch = site.topology.branches.find((x) => x.meter === device.id);
        if (branch) read = () => [['powerKW', s.branchFlowKW.get(branch.id) ?? 0]];
        break;
      }
      default:
        break;
    }
    if (read) readers.push({ device: device.id, read });
  }
  return readers;
}
