// The settlement store without React or a window: periods in the site's timezone, following the
// ledger when the chosen month holds nothing, refreshing on bookings only while attached.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiEventName, ApiName } from '../../../../../shared/api/contract.ts';
import {
  SettlementStore,
  type SettlementClient,
} from '../../../../../renderer/src/stores/settlement-store.ts';

function fakeClient(lastSettledStartMs: number | null) {
  const calls: Array<{ name: ApiName; request: unknown }> = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const responses: Partial<Record<ApiName, (request: never) => unknown>> = {
    'settlement/status': () => ({
      intervalMinutes: 15,
      automatic: true,
      delaySeconds: 30,
      lateBoundSeconds: 300,
      entries: 10,
      headHash: 'ab',
      firstSettledStartMs: lastSettledStartMs,
      lastSettledStartMs,
      nextStartMs: null,
      nextDueMs: null,
      recentAlarms: [],
      currency: 'EUR',
    }),
    'settlement/members': (r: { fromMs: number; toMs: number }) => ({
      ...r,
      currency: 'EUR',
      members: [{ member: 'h01', name: 'Household 1' }],
    }),
    'settlement/storage': () => ({ accounts: [], series: [] }),
    'settlement/kpis': () => ({ intervals: 3 }),
    'settlement/intervals': () => [],
    'settlement/member': () => ({ summary: {}, intervals: [], trades: [], months: ['2026-06'] }),
  };
  const client: SettlementClient = {
    call: (name, request) => {
      calls.push({ name, request });
      const answer = responses[name];
      return answer
        ? Promise.resolve(answer(request as never) as never)
        : Promise.reject(new Error(`no ${name}`));
    },
    on: (event: ApiEventName, listener) => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  return { client, calls, emit, listeners };
}

describe('SettlementStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sets periods by the site's local calendar", () => {
    const { client } = fakeClient(null);
    const store = new SettlementStore(client);
    store.attach('Europe/Lisbon');
    // 31 March 2026 23:30 UTC is already 1 April in Lisbon (summer time).
    const now = Date.parse('2026-03-31T23:30:00Z');
    store.setPeriod('month', now);
    expect(store.period.fromMs).toBe(Date.parse('2026-03-31T23:00:00Z'));
    expect(store.period.toMs).toBe(Date.parse('2026-04-30T23:00:00Z'));
    store.setPeriod('last-month', now);
    // March begins in winter time (UTC+0) and ends in summer time.
    expect(store.period.fromMs).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(store.period.toMs).toBe(Date.parse('2026-03-31T23:00:00Z'));
    store.setPeriod('day', now);
    expect(store.period.toMs - store.period.fromMs).toBe(86_400_000);
    store.setCustomPeriod('2026-10-24', '2026-10-25');
    // Two local days across the end of summer time: 49 hours.
    expect(store.period.toMs - store.period.fromMs).toBe(49 * 3_600_000);
    store.setCustomPeriod('2026-10-25', '2026-10-24');
    expect(store.error).toMatch(/ends before it starts/);
  });

  it('follows the ledger to its last settled month when the chosen one holds nothing', async () => {
    const { client, calls } = fakeClient(Date.parse('2026-06-15T10:00:00Z'));
    const store = new SettlementStore(client);
    store.attach('Europe/Lisbon');
    await store.load();
    expect(store.period.fromMs).toBe(Date.parse('2026-05-31T23:00:00Z'));
    expect(store.period.toMs).toBe(Date.parse('2026-06-30T23:00:00Z'));
    const members = calls.find((c) => c.name === 'settlement/members')!.request as { fromMs: number };
    expect(members.fromMs).toBe(store.period.fromMs);
    expect(store.selected).toBe('h01');
    expect(store.statementMonth).toBe('2026-06');
  });

  it('refreshes once after a burst of bookings, and only while a view is attached', async () => {
    const { client, calls, emit, listeners } = fakeClient(Date.parse('2026-06-15T10:00:00Z'));
    const store = new SettlementStore(client);
    const detach = store.attach('Europe/Lisbon');
    for (let i = 0; i < 20; i++)
      emit('settlement/settled', { seq: i, kind: 'interval', startMs: 0, flags: [] });
    await vi.advanceTimersByTimeAsync(1500);
    expect(calls.filter((c) => c.name === 'settlement/status')).toHaveLength(1);
    detach();
    expect(listeners.get('settlement/settled')?.size ?? 0).toBe(0);
    emit('settlement/settled', { seq: 99, kind: 'interval', startMs: 0, flags: [] });
    await vi.advanceTimersByTimeAsync(1500);
    expect(calls.filter((c) => c.name === 'settlement/status')).toHaveLength(1);
  });
});
