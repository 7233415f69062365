// The market view's back end in the running console on the simulated demo village: the current
// interval's preview arrives with orders and trades from live readings; the market settings are
// checked against the whole site file and saved to a copy of it only when they validate, with
// problems as `json.path: message`; the bundled demo site is never written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleApp } from '../../electron/app/console-app.ts';
import { testCaller } from '../fixtures/callers.ts';
import type { ApiEventName } from '../../shared/api/contract.ts';
import type {
  MarketApi,
  MarketPreview,
  MarketSettingsView,
  SaveSettingsResult,
  SettingsCheck,
} from '../../shared/api/market-api.ts';
import { presetIds } from '../../shared/market/index.ts';
import { formatProblems } from '../../shared/validation/problems.ts';
import { demoSitePath } from '../fixtures/paths.ts';
import { waitFor } from '../fixtures/wait.ts';

type Market = {
  [K in keyof MarketApi]: (request: MarketApi[K]['request']) => Promise<MarketApi[K]['response']>;
};

function marketOf(app: ConsoleApp): Market {
  const call =
    <K extends keyof MarketApi>(name: K) =>
    async (request: MarketApi[K]['request']) => {
      const result = await app.call(testCaller('admin'), name, request);
      if (!result.ok) throw new Error(`${name}: ${result.error.message}`);
      return result.response as MarketApi[K]['response'];
    };
  return {
    'market/preview': call('market/preview'),
    'market/settings': call('market/settings'),
    'market/presets': call('market/presets'),
    'market/validate-settings': call('market/validate-settings'),
    'market/save-settings': call('market/save-settings'),
  };
}

/** Moves the simulator's sun to local midday, so that PV members sell whatever time the test runs. */
function middayOnSimulator(app: ConsoleApp): void {
  const physics = app.simulator!.physics;
  const day = new Date(physics.state.timeMs);
  physics.state.timeMs = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12, 30);
}

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-market-'));
const demoBefore = fs.readFileSync(demoSitePath, 'utf8');

afterAll(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
  // Whatever happened above, the bundled demo site is as it was.
  expect(fs.readFileSync(demoSitePath, 'utf8')).toBe(demoBefore);
});

describe('market preview on a copy of the demo village', () => {
  const siteFile = path.join(tempDir, 'village.json');
  let app: ConsoleApp;
  let market: Market;
  const events: Array<{ event: ApiEventName; payload: unknown }> = [];
  const logs: string[] = [];

  beforeAll(async () => {
    fs.copyFileSync(demoSitePath, siteFile);
    app = await startConsole({
      siteFile,
      dataDir: path.join(tempDir, 'data'),
      simulate: true,
      transport: 'websocket',
      log: (m) => logs.push(m),
    });
    app.subscribe((event, payload) => {
      if (event.startsWith('market/')) events.push({ event, payload });
    });
    middayOnSimulator(app);
    market = marketOf(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('clears the running interval from live readings: orders, trades and prices', async () => {
    let preview: MarketPreview;
    const deadline = Date.now() + 30_000;
    for (;;) {
      preview = await market['market/preview']({ refresh: true });
      if (preview.unmetered.length === 0 && preview.trades.length > 0) break;
      if (Date.now() > deadline)
        throw new Error(`no trades within 30 s: ${JSON.stringify({ ...preview, supply: [], demand: [] })}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const site = app.sites.current();
    expect(preview.preset).toBe('brooklyn');
    expect(preview.currency).toBe(site.site.currency);
    expect(preview.supply.length).toBeGreaterThan(0);
    expect(preview.demand.length).toBeGreaterThan(0);
    // Every member with a reading has an order on one side or none (a net of zero), never both.
    const sellers = new Set(preview.supply.map((s) => s.member));
    for (const step of preview.demand) expect(sellers.has(step.member)).toBe(false);
    const members = new Set(site.members.map((m) => m.id));
    for (const t of preview.trades) {
      expect(members.has(t.seller) && members.has(t.buyer)).toBe(true);
      expect(t.energyKWh).toBeGreaterThan(0);
      expect(t.price).toBeGreaterThanOrEqual(preview.tariff.exportPrice - 1e-9);
      expect(t.price).toBeLessThanOrEqual(preview.tariff.importPrice + 1e-9);
    }
    const traded = preview.trades.reduce((sum, t) => sum + t.energyKWh, 0);
    expect(traded).toBeCloseTo(preview.localKWh, 9);
    const start = Date.parse(preview.interval.start);
    expect(start).toBe(preview.interval.startMs);
    expect(Date.now() - start).toBeLessThan(preview.interval.minutes * 60_000 + 5_000);
    expect(preview.timing.clearMs).toBeGreaterThanOrEqual(0);
    // Not a timed assertion: the figure goes to the run's log.
    console.log(
      `market preview: ${preview.supply.length + preview.demand.length} orders, ${preview.trades.length} trades, ` +
        `cleared in ${preview.timing.clearMs.toFixed(3)} ms (${preview.timing.buildMs.toFixed(3)} ms with the orders)`,
    );
    await waitFor(
      () => events.some((e) => e.event === 'market/preview'),
      15_000,
      'a pushed market/preview event',
    );
  });

  it('answers the presets and the settings as the site file has them', async () => {
    const presets = await market['market/presets']({});
    expect(presets.map((p) => p.id)).toEqual([...presetIds]);
    const view = await market['market/settings']({});
    expect(view.file).toBe(siteFile);
    expect(view.readOnly).toBeNull();
    expect(view.settings.preset).toBe('brooklyn');
    expect(view.effective.preset.id).toBe('brooklyn');
    expect(view.tariff.periods.length).toBe(app.sites.current().tariff.periods.length);
  });

  it('refuses bad settings with json.path: message problems and writes nothing', async () => {
    const before = fs.readFileSync(siteFile, 'utf8');
    const bad = {
      preset: 'brooklyn',
      intervalMinutes: 7,
      fees: { dsoShare: 1.5, networkPerKWh: 'cheap' },
      fixedRate: { members: ['nobody'] },
    };
    const check: SettingsCheck = await market['market/validate-settings']({ market: bad });
    expect(check.ok).toBe(false);
    expect(check.effective).toBeNull();
    const paths = check.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['market.intervalMinutes', 'market.fees.dsoShare', 'market.fees.networkPerKWh']),
    );
    for (const line of formatProblems(check.problems).split('\n'))
      expect(line).toMatch(/^market\.[\w.[\]-]+: \S/);

    const saved: SaveSettingsResult = await market['market/save-settings']({ market: bad });
    expect(saved.ok).toBe(false);
    // The member check runs once the shapes are right.
    const unknown = await market['market/save-settings']({
      market: { preset: 'brooklyn', fixedRate: { members: ['nobody'] } },
    });
    expect(unknown).toEqual({
      ok: false,
      problems: [{ path: 'market.fixedRate.members[0]', message: "unknown member 'nobody'" }],
    });
    const unknownPreset = await market['market/save-settings']({ market: { preset: 'nope' } });
    expect(unknownPreset.ok).toBe(false);
    if (!unknownPreset.ok) expect(unknownPreset.problems[0]!.path).toBe('market.preset');

    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);
    expect(fs.existsSync(`${siteFile}.bak`)).toBe(false);
    // A request that is not even an object is refused at the boundary.
    const malformed = await app.call(testCaller('admin'), 'market/save-settings', { market: 'uniform' });
    expect(malformed.ok).toBe(false);
  });

  it('saves valid settings, keeps a backup, and clears by them at once', async () => {
    const before = fs.readFileSync(siteFile, 'utf8');
    const settings = {
      preset: 'piclo',
      intervalMinutes: 15,
      mechanism: 'uniform',
      fees: { networkPerKWh: 0.012 },
      members: { h02: { bidPricePerKWh: 0.29 } },
    };
    const check = await market['market/validate-settings']({ market: settings });
    expect(check).toMatchObject({ ok: true, problems: [] });
    expect(check.effective?.preset.fees.networkPerKWh).toBe(0.012);
    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);

    const saved = await market['market/save-settings']({ market: settings });
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(fs.readFileSync(saved.backup, 'utf8')).toBe(before);
    const written = JSON.parse(fs.readFileSync(siteFile, 'utf8')) as Record<string, unknown>;
    expect(written.market).toEqual(settings);
    // Only the market block changed, and the file kept its key order.
    const original = JSON.parse(before) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual(Object.keys(original));
    expect({ ...written, market: null }).toEqual({ ...original, market: null });

    const view: MarketSettingsView = await market['market/settings']({});
    expect(view.settings.preset).toBe('piclo');
    expect(view.effective.overridden).toEqual(expect.arrayContaining(['fees.networkPerKWh', 'members.h02']));
    expect(events.some((e) => e.event === 'market/settings')).toBe(true);
    const preview = await market['market/preview']({});
    expect(preview.preset).toBe('piclo');
    expect(preview.mechanism).toBe('uniform');
    // h02 has no PV: it always buys, now at its standing bid.
    expect(preview.demand.find((s) => s.member === 'h02')?.pricePerKWh).toBe(0.29);
    expect(logs.some((l) => l.includes('market: settings saved'))).toBe(true);
  });
});

describe('the tariff edited beside the market settings', () => {
  const siteFile = path.join(tempDir, 'tariff-village.json');
  let app: ConsoleApp;

  beforeAll(async () => {
    fs.copyFileSync(demoSitePath, siteFile);
    app = await startConsole({
      siteFile,
      dataDir: path.join(tempDir, 'tariff-data'),
      simulate: true,
      transport: 'websocket',
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('refuses a tariff that leaves part of the day uncovered, and saves one that covers it', async () => {
    const market = marketOf(app);
    const before = fs.readFileSync(siteFile, 'utf8');
    const settings = { preset: 'brooklyn', intervalMinutes: 15 };
    const gap = {
      periods: [{ from: '00:00', to: '12:00', importPricePerKWh: 0.31, exportPricePerKWh: 0.07 }],
      gridCO2KgPerKWh: 0.3,
    };
    const refused = await market['market/save-settings']({ market: settings, tariff: gap });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.problems.map((p) => p.path)).toContain('tariff.periods');
    const negative = await market['market/validate-settings']({
      market: settings,
      tariff: { ...gap, periods: [{ ...gap.periods[0]!, to: '00:00', exportPricePerKWh: -1 }] },
    });
    expect(negative.problems.map((p) => p.path)).toEqual(['tariff.periods[0].exportPricePerKWh']);
    expect(fs.readFileSync(siteFile, 'utf8')).toBe(before);

    const whole = {
      periods: [
        gap.periods[0]!,
        { from: '12:00', to: '00:00', importPricePerKWh: 0.31, exportPricePerKWh: 0.07 },
      ],
      gridCO2KgPerKWh: 0.3,
    };
    const saved = await market['market/save-settings']({ market: settings, tariff: whole });
    expect(saved.ok).toBe(true);
    const written = JSON.parse(fs.readFileSync(siteFile, 'utf8')) as { tariff: unknown; market: unknown };
    expect(written.tariff).toEqual(whole);
    expect(written.market).toEqual(settings);
    expect((await market['market/settings']({})).tariff).toEqual(whole);
    // The preview prices by the new tariff at once, whatever the time of day.
    expect((await market['market/preview']({})).tariff).toEqual({ importPrice: 0.31, exportPrice: 0.07 });
  });
});

describe('market settings of the bundled demo site', () => {
  let app: ConsoleApp;

  beforeAll(async () => {
    app = await startConsole({
      siteFile: demoSitePath,
      dataDir: path.join(tempDir, 'demo-data'),
      simulate: true,
      transport: 'websocket',
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('checks settings but refuses to save them: the file is read-only', async () => {
    const market = marketOf(app);
    const view = await market['market/settings']({});
    expect(view.readOnly).toMatch(/read-only.*--site/);
    const settings = { preset: 'sonnen', intervalMinutes: 15 };
    expect((await market['market/validate-settings']({ market: settings })).ok).toBe(true);
    const saved = await market['market/save-settings']({ market: settings });
    expect(saved.ok).toBe(false);
    if (!saved.ok) expect(saved.problems[0]!.message).toContain('read-only');
    expect(fs.readFileSync(demoSitePath, 'utf8')).toBe(demoBefore);
    expect(fs.existsSync(`${demoSitePath}.bak`)).toBe(false);
  });
});
