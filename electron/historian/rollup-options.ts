// The rollup settings the ingest uses for a site, in a module of its own so that the ingest
// worker builds exactly the same ones as the main thread, the CLI and the rebuild.
import type { SiteFile } from '../../shared/site/schema.ts';
import type { RollupOptions } from './sample-writer.ts';

export function rollupOptionsFor(site: SiteFile): RollupOptions {
  const periods = new Map(site.devices.map((d) => [d.id, d.pollPeriodMs]));
  // No meter of the site can count faster than three times its largest rating; a faster rise
  // is a glitch or a replaced meter (see counterStep).
  const ratingsKW = [
    100,
    site.grid.kind === 'connected' ? site.grid.pcc.ratingKVA : 0,
    ...site.topology.branches.map((b) => b.ratingKVA),
    ...site.devices.map((d) => d.ratedKW ?? 0),
  ];
  const maxKW = 3 * Math.max(...ratingsKW);
  return {
    timeZone: site.site.timezone,
    intervalMinutes: site.market.intervalMinutes,
    // A missed read or two is still measured; a device silent for longer leaves a gap.
    gapLimitMs: (device) => Math.max(60_000, 5 * (periods.get(device) ?? 1000)),
    maxPowerKW: () => maxKW,
  };
}
