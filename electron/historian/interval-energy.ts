// The metered energies of one settlement interval, for the market, virtual storage and the
// ledger: member imports and exports, the battery pool and the PCC, from energy-counter deltas
// (the historian's settlement-interval rollups), so they are exact and reproducible from the
// stored samples. Call it once the interval has closed — the first sample after its end has been
// committed, a few seconds after — otherwise the energies are partial and marked incomplete.
import type {
  IntervalEnergies,
  IntervalMode,
  MemberIntervalEnergy,
} from '../../shared/settlement/interval-energy.ts';
import type { SiteFile } from '../../shared/site/schema.ts';
import { MS_PER_MINUTE } from '../../shared/units.ts';
import { bucketingFor, MINUTE } from './buckets.ts';
import type { Db } from './database.ts';
import type { RollupRow } from './rollup-aggregator.ts';
import { rollupsFromRaw } from './rollup-rebuild.ts';
import { FLAG_RESET, type SeriesKind } from './series-kind.ts';
import { memberSource } from './site-series.ts';

export interface IntervalEnergyOptions {
  /** The running ingest's still-open buckets, to include an interval that has not closed yet. */
  openRows?: (seriesId: number, res: number) => RollupRow[];
  /** Gap limit per device, as the ingest uses it, for the fallback computed from raw samples. */
  gapLimitMs?: (device: string) => number;
  /** Counter plausibility bound per device, as the ingest uses it. */
  maxPowerKW?: (device: string) => number;
}

interface Total {
  kWh: number;
  complete: boolean;
}

/**
 * Energies of [startMs, startMs + minutes): from the site's settlement-interval rollups when the
 * interval is one of them, otherwise added up from 1-minute rollups; a series whose buckets are
 * not written yet is computed from raw samples by the same code as the ingest.
 */
export function intervalEnergies(
  db: Db,
  site: SiteFile,
  startMs: number,
  minutes: number,
  mode: IntervalMode,
  options: IntervalEnergyOptions = {},
): IntervalEnergies {
  if (!Number.isInteger(minutes) || minutes <= 0)
    throw new Error(`an interval lasts a whole number of minutes, not ${minutes}`);
  const endMs = startMs + minutes * MS_PER_MINUTE;
  const intervalMinutes = site.market.intervalMinutes;
  const bucketing = bucketingFor(site.site.timezone);
  const res =
    minutes % intervalMinutes === 0 && bucketing.start(startMs, intervalMinutes) === startMs
      ? intervalMinutes
      : MINUTE;
  if (startMs % MS_PER_MINUTE !== 0)
    throw new Error(`an interval starts on a whole minute, not at ${new Date(startMs).toISOString()}`);
  const expected = minutes / res;

  const findSeries = db.prepare('SELECT id, kind FROM series WHERE device = ? AND quantity = ?');
  const readRows = db.prepare(
    `SELECT start_ms AS startMs, n, delta, neg, gap_ms AS gapMs, flags FROM rollup
     WHERE res = ? AND series = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
  );
  type Row = Pick<RollupRow, 'startMs' | 'n' | 'delta' | 'neg' | 'gapMs' | 'flags'> & { open?: boolean };
  const rawFallback = new Map<number, Row[]>();
  const wantRaw: Array<{ id: number; device: string; kind: SeriesKind }> = [];

  const rowsOf = (device: string, quantity: string): { id: number; rows: Row[] } | null => {
    const s = findSeries.get(device, quantity) as { id: number; kind: SeriesKind } | undefined;
    if (!s) return null;
    const rows = readRows.all(res, s.id, startMs, endMs) as Row[];
    if (rows.length < expected) {
      const open = options.openRows?.(s.id, res) ?? [];
      for (const r of open)
        if (r.startMs >= startMs && r.startMs < endMs && !rows.some((w) => w.startMs === r.startMs))
          rows.push({ ...r, open: true });
      if (rows.length < expected && !open.length) wantRaw.push({ id: s.id, device, kind: s.kind });
    }
    return { id: s.id, rows };
  };

  const lookups = new Map<string, { id: number; rows: Row[] } | null>();
  const lookup = (device: string, quantity: string) => {
    const key = `${device}\u0000${quantity}`;
    if (!lookups.has(key)) lookups.set(key, rowsOf(device, quantity));
    return lookups.get(key) ?? null;
  };
  // Gather everything first so that all series short of written buckets are read from raw at once.
  const members = site.members.map((m) => ({
    member: m,
    imp: memberSource(site, m.id, 'energyImportKWh'),
    exp: memberSource(site, m.id, 'energyExportKWh'),
  }));
  for (const m of members) {
    if (m.imp) lookup(m.imp.device, m.imp.quantity);
    if (m.exp) lookup(m.exp.device, m.exp.quantity);
  }
  const batteries = (site.batteryPool?.inverters ?? [])
    .map((id) => site.devices.find((d) => d.id === id))
    .filter((d) => d !== undefined);
  for (const b of batteries) {
    lookup(b.id, 'energyExportKWh');
    lookup(b.id, 'powerKW');
  }
  const pccMeter = site.grid.kind === 'connected' ? site.grid.pcc.meter : null;
  if (pccMeter) {
    lookup(pccMeter, 'energyImportKWh');
    lookup(pccMeter, 'energyExportKWh');
  }
  if (wantRaw.length > 0) {
    // From a little before the interval so its first step is measured from the sample before it.
    const { aggregator, rows, states } = rollupsFromRaw(
      db,
      {
        timeZone: site.site.timezone,
        intervalMinutes,
        gapLimitMs: options.gapLimitMs,
        maxPowerKW: options.maxPowerKW,
      },
      wantRaw,
      startMs - 10 * MS_PER_MINUTE,
      endMs + 10 * MS_PER_MINUTE,
    );
    for (const r of rows)
      if (r.res === res && r.startMs >= startMs && r.startMs < endMs) push(rawFallback, r.series, r);
    for (const [id, state] of states)
      for (const r of aggregator.openRows(state, res))
        if (r.startMs >= startMs && r.startMs < endMs) push(rawFallback, id, { ...r, open: true });
  }

  const counter = (device: string, quantity: string): Total | null => {
    const found = lookup(device, quantity);
    if (!found) return null;
    const rows =
      found.rows.length >= expected ? found.rows : mergeRows(found.rows, rawFallback.get(found.id) ?? []);
    let kWh = 0;
    let complete = rows.length === expected;
    for (const r of rows) {
      kWh += r.delta ?? 0;
      if (r.open || r.gapMs !== 0 || r.flags & FLAG_RESET) complete = false;
    }
    return { kWh, complete };
  };
  // Battery inverters count only the energy they deliver (SunSpec model 103 WH). The energy that
  // charges the pool has no counter, so it is the time integral of the negative part of the
  // inverters' power samples (trapezoidal rule), kept with the power rollups.
  const charged = (device: string): Total | null => {
    const found = lookup(device, 'powerKW');
    if (!found) return null;
    const rows =
      found.rows.length >= expected ? found.rows : mergeRows(found.rows, rawFallback.get(found.id) ?? []);
    let kWh = 0;
    let complete = rows.length === expected;
    for (const r of rows) {
      kWh += r.neg ?? 0;
      if (r.open || r.gapMs !== 0) complete = false;
    }
    return { kWh, complete };
  };

  let allComplete = true;
  const memberEnergies: MemberIntervalEnergy[] = members.map(({ member, imp, exp }) => {
    // A member metered by its PV inverter has no import register: it imports nothing through it.
    const i = imp ? counter(imp.device, imp.quantity) : { kWh: 0, complete: true };
    const e = exp ? counter(exp.device, exp.quantity) : { kWh: 0, complete: true };
    const complete = (i?.complete ?? false) && (e?.complete ?? false);
    allComplete &&= complete;
    return { member: member.id, importKWh: i?.kWh ?? 0, exportKWh: e?.kWh ?? 0, complete };
  });

  let chargedKWh = 0;
  let dischargedKWh = 0;
  let capacityKWh = 0;
  for (const b of batteries) {
    const out = counter(b.id, 'energyExportKWh');
    const into = charged(b.id);
    dischargedKWh += out?.kWh ?? 0;
    chargedKWh += into?.kWh ?? 0;
    allComplete &&= (out?.complete ?? false) && (into?.complete ?? false);
    capacityKWh += b.capacityKWh ?? 0;
  }
  const socAt = poolSoc(db, batteries, capacityKWh);

  let pcc = { importKWh: 0, exportKWh: 0 };
  if (pccMeter) {
    const i = counter(pccMeter, 'energyImportKWh');
    const e = counter(pccMeter, 'energyExportKWh');
    pcc = { importKWh: i?.kWh ?? 0, exportKWh: e?.kWh ?? 0 };
    allComplete &&= (i?.complete ?? false) && (e?.complete ?? false);
  }

  return {
    siteId: site.site.id,
    startMs,
    minutes,
    mode,
    members: memberEnergies,
    pool: { chargedKWh, dischargedKWh, socStart: socAt(startMs), socEnd: socAt(endMs), capacityKWh },
    pcc,
    complete: allComplete,
  };
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function mergeRows<T extends { startMs: number }>(written: T[], computed: T[]): T[] {
  const byStart = new Map<number, T>();
  for (const r of computed) byStart.set(r.startMs, r);
  for (const r of written) byStart.set(r.startMs, r);
  return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
}

/**
 * Energy-weighted state of charge of the pool at a moment: each inverter's last good reading at
 * or before it, within five minutes; null when any is missing.
 */
function poolSoc(
  db: Db,
  batteries: Array<{ id: string; capacityKWh?: number | undefined }>,
  capacityKWh: number,
) {
  const find = db.prepare("SELECT id FROM series WHERE device = ? AND quantity = 'socFraction'");
  const last = db.prepare(
    `SELECT value FROM sample WHERE time_ms <= ? AND time_ms > ? AND series = ? AND quality = 0
     AND value IS NOT NULL ORDER BY time_ms DESC LIMIT 1`,
  );
  const ids = batteries.map((b) => (find.get(b.id) as { id: number } | undefined)?.id);
  return (atMs: number): number | null => {
    if (batteries.length === 0 || capacityKWh <= 0) return null;
    let stored = 0;
    for (let i = 0; i < batteries.length; i++) {
      const id = ids[i];
      if (id === undefined) return null;
      const row = last.get(atMs, atMs - 5 * MS_PER_MINUTE, id) as { value: number } | undefined;
      if (!row) return null;
      stored += row.value * (batteries[i]!.capacityKWh ?? 0);
    }
    return stored / capacityKWh;
  };
}
