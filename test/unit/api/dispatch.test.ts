import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/platform/dispatch.ts';
import type { ApiHandlers } from '../../../shared/api/contract.ts';

const calls: string[] = [];
const handlers = {
  'system/info': () => {
    calls.push('info');
    return {
      version: '1',
      siteName: 's',
      dataDir: '/d',
      simulated: true,
      startedMs: 0,
      transport: 'websocket' as const,
    };
  },
  'site/get': () => {
    throw new Error('site file unreadable');
  },
  'live/snapshot': () => {
    throw new Error('not used');
  },
  'history/recent': ({ device }: { device: string }) => [{ timeMs: 1, value: device.length }],
} as unknown as ApiHandlers;

describe('API dispatch', () => {
  it('runs a valid call', async () => {
    expect(
      await dispatch(handlers, 'history/recent', { device: 'abc', quantity: 'powerKW', sinceMs: 0 }),
    ).toEqual({
      ok: true,
      response: [{ timeMs: 1, value: 3 }],
    });
  });

  it('refuses an unknown call before any handler runs', async () => {
    calls.length = 0;
    const result = await dispatch(handlers, 'system/shutdown', {});
    expect(result).toEqual({
      ok: false,
      error: { code: 'unknown-call', message: "unknown call 'system/shutdown'" },
    });
    expect(calls).toEqual([]);
  });

  it('validates the request with the contract schema and names the path', async () => {
    const result = await dispatch(handlers, 'history/recent', {
      device: '',
      quantity: 'powerKW',
      sinceMs: -1,
      extra: 1,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid-request');
    expect(result.error.message).toContain('device:');
    expect(result.error.message).toContain('sinceMs:');
  });

  it('reports a failing handler as a failure, not a crash', async () => {
    expect(await dispatch(handlers, 'site/get', {})).toEqual({
      ok: false,
      error: { code: 'failed', message: 'site file unreadable' },
    });
  });
});
