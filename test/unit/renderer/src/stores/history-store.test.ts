// The history view's store without React, against a fake API client: the query it sends, live
// values appended after the stored ones with the historian's sign conventions, zoom and pan
// leaving live mode, and an export fetched chunk by chunk with its progress.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../../../../renderer/src/api/api-client.ts';
import { HistoryStore, liveValue } from '../../../../../renderer/src/stores/history-store.ts';
import type { ExportChunk, HistoryQuery, HistoryQueryResult } from '../../../../../shared/api/history-api.ts';
import type { LiveSnapshot } from '../../../../../shared/api/live.ts';
import { demoSite } from '../../../../fixtures/demo-site.ts';

const site = demoSite();

function fakeClient(handlers: Record<string, (request: never) => unknown>) {
  const calls: Array<{ name: string; request: unknown }> = [];
  const listeners = new Map<string, Array<(payload: unknown) => void>>();
  const client = {
    transport: 'websocket',
    call: (name: string, request: unknown) => {
      calls.push({ name, request });
      const handler = handlers[name];
      return handler ? Promise.resolve(handler(request as never)) : Promise.reject(new Error(`no ${name}`));
    },
    on: (event: string, listener: (payload: unknown) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () =>
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((l) => l !== listener),
        );
    },
    onState: () => () => undefined,
  } as unknown as ApiClient;
  const emit = (event: string, payload: unknown) => (listeners.get(event) ?? []).forEach((l) => l(payload));
  return { client, calls, emit, listeners };
}

function answer(q: HistoryQuery): HistoryQueryResult {
  return {
    from: q.from,
    to: q.to,
    resolution: 'raw',
    bucketMs: null,
    series: q.targets.map((target) => ({
      key: `${target.kind}:${target.id}:powerKW`,
      target,
      quantity: 'powerKW',
      unit: 'kW',
      kind: 'power' as const,
      derived: false,
      times: [q.to - 120_000, q.to - 62_000],
      values: [1, 2],
      min: null,
      max: null,
      complete: [true, true],
      openFromMs: null,
    })),
    available: [],
    elapsedMs: 1,
  };
}

function snapshotAt(timeMs: number, clinicKW: number): LiveSnapshot {
  const pcc = { value: -12, unit: 'kW', quality: 'good', timeMs };
  return {
    timeMs,
    pcc: null,
    totals: {
      pv: { valueKW: 0, complete: true, missing: [] },
      load: { valueKW: 0, complete: true, missing: [] },
      battery: { valueKW: 0, complete: true, missing: [] },
      socFraction: null,
      socMissing: [],
      devicesOnline: 0,
      devicesTotal: 0,
    },
    members: { clinic: { value: clinicKW, unit: 'kW', quality: 'good', timeMs } },
    branches: {},
    batteries: {},
    devices: [
      {
        id: 'pcc-meter',
        kind: 'pcc-meter',
        state: 'online',
        lastGoodMs: timeMs,
        latencyMs: 1,
        error: null,
        readings: { powerKW: pcc },
      },
    ],
  } as unknown as LiveSnapshot;
}

describe('HistoryStore', () => {
  it('asks for the chosen targets and quantities over the range, and follows live values after them', async () => {
    const { client, calls, emit } = fakeClient({ 'site/get': () => site, 'history/query': answer });
    const store = new HistoryStore(client);
    await store.open();
    store.addTarget({ kind: 'member', id: 'clinic' });
    await new Promise((r) => setTimeout(r, 0));
    const query = calls.filter((c) => c.name === 'history/query').at(-1)!.request as HistoryQuery;
    expect(query.targets).toEqual([
      { kind: 'site', id: 'site' },
      { kind: 'member', id: 'clinic' },
    ]);
    expect(query.quantities).toEqual(['powerKW']);
    expect(query.resolution).toBe('auto');
    // In live mode a little past now, so the open bucket comes too.
    expect(query.to).toBeGreaterThan(store.toMs);

    const now = Date.now();
    emit('live/snapshot', snapshotAt(now, 3.5));
    emit('live/snapshot', snapshotAt(now + 1000, 3.7));
    const clinic = store.chartSeries.find((s) => s.key === 'member:clinic:powerKW')!;
    expect(clinic.live).toEqual([
      [now, 3.5],
      [now + 1000, 3.7],
    ]);
    expect(store.chartSeries.find((s) => s.key === 'site:site:powerKW')!.live.map(([, v]) => v)).toEqual([
      -12, -12,
    ]);
    store.close();
    emit('live/snapshot', snapshotAt(now + 2000, 9));
    expect(store.chartSeries.find((s) => s.key === 'member:clinic:powerKW')!.live).toHaveLength(2);
  });

  it('leaves live mode when zoomed or panned into the past, and returns to it with a preset', async () => {
    const { client } = fakeClient({ 'site/get': () => site, 'history/query': answer });
    const store = new HistoryStore(client);
    await store.open();
    const to = Date.now() - 3_600_000;
    store.zoomTo(to - 600_000, to);
    expect(store.live).toBe(false);
    expect(store.spanMs).toBe(600_000);
    store.pan(-0.5);
    expect(store.toMs).toBe(to - 300_000);
    // A zoom narrower than a minute is widened to one around its middle.
    store.zoomTo(to - 10_000, to);
    expect(store.spanMs).toBe(60_000);
    store.setPreset(6 * 3_600_000);
    expect(store.live).toBe(true);
    expect(store.spanMs).toBe(6 * 3_600_000);
    store.close();
  });

  it('fetches an export chunk by chunk, reports progress, and saves the parts in order', async () => {
    const chunks: ExportChunk[] = [
      { text: 'time,value\n', rows: 0, progress: 0.2, done: false },
      { text: 'a,1\nb,2\n', rows: 2, progress: 0.7, done: false },
      { text: 'c,3\n', rows: 1, progress: 1, done: true },
    ];
    const { client, calls } = fakeClient({
      'site/get': () => site,
      'history/query': answer,
      'history/export-start': () => ({ jobId: 'export-1', fileName: 'x.csv', mimeType: 'text/csv' }),
      'history/export-next': () => chunks.shift(),
    });
    const store = new HistoryStore(client);
    await store.open();
    store.addTarget({ kind: 'member', id: 'clinic' });
    let saved: { fileName: string; parts: string[] } | null = null;
    await store.startExport(
      { format: 'csv', resolution: '15m' },
      (fileName, _mime, parts) => (saved = { fileName, parts }),
    );
    expect(saved).toEqual({ fileName: 'x.csv', parts: ['time,value\n', 'a,1\nb,2\n', 'c,3\n'] });
    expect(store.exportState).toMatchObject({ rows: 3, progress: 1, state: 'done' });
    expect(calls.find((c) => c.name === 'history/export-start')!.request).toMatchObject({
      member: 'clinic',
      resolution: '15m',
      format: 'csv',
    });
    store.close();
  });
});

describe('liveValue', () => {
  it('reads a feeder from its branch flow and a device quantity from its readings', () => {
    const snapshot = snapshotAt(1000, 2);
    (snapshot as { branches: Record<string, unknown> }).branches = {
      'f1-main': { value: 7.5, unit: 'kW', quality: 'good', timeMs: 1000, measured: true },
    };
    expect(liveValue(site, snapshot, { kind: 'feeder', id: 'f1-main' }, 'powerKW')).toBe(7.5);
    expect(liveValue(site, snapshot, { kind: 'feeder', id: 'f1-main' }, 'voltageV')).toBeNull();
    expect(liveValue(site, snapshot, { kind: 'device', id: 'pcc-meter' }, 'powerKW')).toBe(-12);
    expect(liveValue(site, snapshot, { kind: 'member', id: 'clinic' }, 'powerKW')).toBe(2);
  });
});
