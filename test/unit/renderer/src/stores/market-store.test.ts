// The market store without React, against a fake API client: edits are checked by the back end
// after a pause, a slow verdict on an old draft never replaces a newer one, problems are found by
// JSON path, and a save needs a valid, changed draft, a writable file and a confirmation.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../../../shared/api/contract.ts';
import type { MarketSettingsView, SettingsCheck } from '../../../../../shared/api/market-api.ts';
import { marketPresets, presetIds } from '../../../../../shared/market/index.ts';
import { MarketStore, type MarketClient } from '../../../../../renderer/src/stores/market-store.ts';

interface Call {
  name: string;
  request: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** A client whose answers the test gives, one call at a time, in any order. */
class FakeClient implements MarketClient {
  calls: Call[] = [];
  listeners = new Map<string, Array<(payload: unknown) => void>>();

  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>> {
    return new Promise((resolve, reject) => {
      this.calls.push({ name, request, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    const entry = listener as (payload: unknown) => void;
    list.push(entry);
    this.listeners.set(event, list);
    return () =>
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== entry),
      );
  }

  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }

  pending(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  answer(name: string, value: unknown, index = 0): void {
    const call = this.pending(name)[index];
    if (!call) throw new Error(`no pending ${name} call`);
    this.calls.splice(this.calls.indexOf(call), 1);
    call.resolve(value);
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function settingsView(overrides: Partial<MarketSettingsView> = {}): MarketSettingsView {
  const preset = marketPresets.brooklyn;
  return {
    file: '/sites/village.json',
    readOnly: null,
    settings: { preset: 'brooklyn', intervalMinutes: 15 },
    effective: { preset, designatedMembers: [], members: {}, overridden: [] },
    tariff: { periods: [], gridCO2KgPerKWh: 0.2 },
    currency: 'EUR',
    timezone: 'Europe/Lisbon',
    warnings: [],
    ...overrides,
  };
}

const valid: SettingsCheck = { ok: true, problems: [], warnings: [], effective: null };
const invalid = (path: string, message: string): SettingsCheck => ({
  ok: false,
  problems: [{ path, message }],
  warnings: [],
  effective: null,
});

async function loaded(
  view = settingsView(),
): Promise<{ store: MarketStore; client: FakeClient; close: () => void }> {
  const client = new FakeClient();
  const store = new MarketStore(client, { validateDelayMs: 300 });
  const close = store.open();
  client.answer(
    'market/presets',
    presetIds.map((id) => marketPresets[id]),
  );
  client.answer('market/settings', view);
  client.answer('market/preview', null);
  await flush();
  return { store, client, close };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('market store', () => {
  it('starts with the saved settings as an unchanged draft', async () => {
    const { store } = await loaded();
    expect(store.draft).toEqual({ preset: 'brooklyn', intervalMinutes: 15 });
    expect(store.dirty).toBe(false);
    expect(store.canSave).toBe(false);
    expect(store.draftPreset?.id).toBe('brooklyn');
  });

  it('checks an edit after a pause, once for a burst of edits', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.fees = { networkPerKWh: 0.01 };
    });
    store.edit((d) => {
      d.fees = { networkPerKWh: 0.02 };
    });
    expect(client.pending('market/validate-settings')).toHaveLength(0);
    vi.advanceTimersByTime(299);
    expect(client.pending('market/validate-settings')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    const calls = client.pending('market/validate-settings');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.request).toEqual({
      market: { preset: 'brooklyn', intervalMinutes: 15, fees: { networkPerKWh: 0.02 } },
    });
    expect(store.checking).toBe(true);
    expect(store.canSave).toBe(false);
    client.answer('market/validate-settings', valid);
    await flush();
    expect(store.checking).toBe(false);
    expect(store.dirty).toBe(true);
    expect(store.canSave).toBe(true);
  });

  it('finds problems by JSON path, including list items below the path', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.fees = { dsoShare: 2 };
    });
    vi.advanceTimersByTime(300);
    client.answer('market/validate-settings', {
      ok: false,
      problems: [
        { path: 'market.fees.dsoShare', message: 'must be at most 1' },
        { path: 'market.fixedRate.members[0]', message: "unknown member 'nobody'" },
      ],
      warnings: [{ path: 'market.community', message: 'ignored' }],
      effective: null,
    } satisfies SettingsCheck);
    await flush();
    expect(store.problemsAt('market.fees.dsoShare').map((p) => p.message)).toEqual(['must be at most 1']);
    expect(store.problemsAt('market.fees')).toHaveLength(1);
    expect(store.problemsAt('market.fixedRate.members')).toHaveLength(1);
    // A sibling whose name merely starts the same is not "below".
    expect(store.problemsAt('market.fee')).toHaveLength(0);
    expect(store.warningsAt('market.community')).toHaveLength(1);
    expect(store.canSave).toBe(false);
  });

  it('ignores a slow verdict on an older draft', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.mechanism = 'community';
    });
    vi.advanceTimersByTime(300);
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    vi.advanceTimersByTime(300);
    expect(client.pending('market/validate-settings')).toHaveLength(2);
    // The newer draft's verdict arrives first, then the older one's.
    client.answer('market/validate-settings', valid, 1);
    await flush();
    client.answer('market/validate-settings', invalid('market.community.price', 'required'));
    await flush();
    expect(store.check).toEqual(valid);
    expect(store.canSave).toBe(true);
  });

  it('drops what an edit leaves empty, so the file keeps only what was set', async () => {
    const { store } = await loaded();
    store.edit((d) => {
      d.fees = { networkPerKWh: 0.01 };
    });
    store.edit((d) => {
      (d.fees as Record<string, unknown>).networkPerKWh = undefined;
    });
    expect(store.draft).toEqual({ preset: 'brooklyn', intervalMinutes: 15 });
    expect(store.dirty).toBe(false);
  });

  it('saves only after a confirmation, then takes the saved settings', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    vi.advanceTimersByTime(300);
    client.answer('market/validate-settings', valid);
    await flush();
    await store.save();
    expect(client.pending('market/save-settings')).toHaveLength(0);
    store.requestSave();
    expect(store.confirming).toBe(true);
    const saving = store.save();
    expect(client.pending('market/save-settings')[0]!.request).toEqual({
      market: { preset: 'brooklyn', intervalMinutes: 15, mechanism: 'uniform' },
    });
    const after = settingsView({
      settings: { preset: 'brooklyn', intervalMinutes: 15, mechanism: 'uniform' },
    });
    client.answer('market/save-settings', {
      ok: true,
      file: after.file,
      backup: `${after.file}.bak`,
      settings: after,
    });
    await saving;
    expect(store.dirty).toBe(false);
    expect(store.saved?.settings.mechanism).toBe('uniform');
    expect(store.saveMessage).toContain('/sites/village.json.bak');
  });

  it('shows the problems of a refused save and keeps the draft', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.intervalMinutes = 15;
      d.fees = { networkPerKWh: 0.01 };
    });
    vi.advanceTimersByTime(300);
    client.answer('market/validate-settings', valid);
    await flush();
    store.requestSave();
    const saving = store.save();
    client.answer('market/save-settings', { ok: false, problems: [{ path: '', message: 'cannot write' }] });
    await saving;
    expect(store.check?.ok).toBe(false);
    expect(store.check?.problems[0]!.message).toBe('cannot write');
    expect(store.dirty).toBe(true);
  });

  it('never offers to save a read-only site', async () => {
    const { store, client } = await loaded(settingsView({ readOnly: 'the bundled demo site is read-only' }));
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    vi.advanceTimersByTime(300);
    client.answer('market/validate-settings', valid);
    await flush();
    expect(store.check?.ok).toBe(true);
    expect(store.canSave).toBe(false);
    store.requestSave();
    expect(store.confirming).toBe(false);
  });

  it('follows settings saved elsewhere unless the draft was edited', async () => {
    const { store, client } = await loaded();
    client.emit('market/settings', settingsView({ settings: { preset: 'sonnen', intervalMinutes: 15 } }));
    expect(store.draft?.preset).toBe('sonnen');
    store.edit((d) => {
      d.intervalMinutes = 30;
    });
    client.emit('market/settings', settingsView({ settings: { preset: 'piclo', intervalMinutes: 15 } }));
    expect(store.draft).toEqual({ preset: 'sonnen', intervalMinutes: 30 });
    expect(store.saved?.settings.preset).toBe('piclo');
    store.discard();
    expect(store.draft?.preset).toBe('piclo');
  });

  it('sends the tariff only when it was edited, and saves it with the market', async () => {
    const tariff = {
      periods: [{ from: '00:00', to: '00:00', importPricePerKWh: 0.25, exportPricePerKWh: 0.05 }],
      gridCO2KgPerKWh: 0.2,
    };
    const { store, client } = await loaded(settingsView({ tariff }));
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    vi.advanceTimersByTime(300);
    expect(client.pending('market/validate-settings')[0]!.request).not.toHaveProperty('tariff');
    client.answer('market/validate-settings', valid);
    await flush();
    store.editTariff((t) => {
      t.periods[0]!.importPricePerKWh = 0.27;
    });
    expect(store.tariffDirty).toBe(true);
    vi.advanceTimersByTime(300);
    const request = client.pending('market/validate-settings')[0]!.request as { tariff: typeof tariff };
    expect(request.tariff.periods[0]!.importPricePerKWh).toBe(0.27);
    client.answer('market/validate-settings', valid);
    await flush();
    store.requestSave();
    const saving = store.save();
    expect(client.pending('market/save-settings')[0]!.request).toHaveProperty(
      'tariff.periods.0.importPricePerKWh',
      0.27,
    );
    const after = settingsView({
      settings: { preset: 'brooklyn', intervalMinutes: 15, mechanism: 'uniform' },
      tariff: { ...tariff, periods: [{ ...tariff.periods[0]!, importPricePerKWh: 0.27 }] },
    });
    client.answer('market/save-settings', {
      ok: true,
      file: after.file,
      backup: `${after.file}.bak`,
      settings: after,
    });
    await saving;
    expect(store.dirty).toBe(false);
    store.editTariff((t) => {
      t.periods.pop();
    });
    expect(store.tariffDirty).toBe(true);
    store.discard();
    expect(store.tariffDraft).toEqual(after.tariff);
  });

  it('says so when the draft cannot be checked, and never offers to save it', async () => {
    const { store, client } = await loaded();
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    vi.advanceTimersByTime(300);
    const call = client.pending('market/validate-settings')[0]!;
    client.calls.splice(client.calls.indexOf(call), 1);
    call.reject(new Error('the console is not answering'));
    await flush();
    expect(store.checking).toBe(false);
    expect(store.checkError).toBe('the console is not answering');
    expect(store.canSave).toBe(false);
    store.edit((d) => {
      d.mechanism = 'pay-as-bid';
    });
    vi.advanceTimersByTime(300);
    client.answer('market/validate-settings', valid);
    await flush();
    expect(store.checkError).toBeNull();
    expect(store.canSave).toBe(true);
  });

  it('stops following pushes and pending checks once the view closes', async () => {
    const { store, client, close } = await loaded();
    store.edit((d) => {
      d.mechanism = 'uniform';
    });
    close();
    vi.advanceTimersByTime(1000);
    expect(client.pending('market/validate-settings')).toHaveLength(0);
    client.emit('market/settings', settingsView({ settings: { preset: 'piclo', intervalMinutes: 15 } }));
    expect(store.saved?.settings.preset).toBe('brooklyn');
    expect([...client.listeners.values()].flat()).toHaveLength(0);
  });

  it('reads a number from typed text, and leaves other text for the back end to name', () => {
    expect(MarketStore.numberOrText(' 0.05 ')).toBe(0.05);
    expect(MarketStore.numberOrText('')).toBeUndefined();
    expect(MarketStore.numberOrText('abc')).toBe('abc');
  });
});
