// The dispatcher: the one gate every call passes for every transport — the call exists, the
// caller has a session, the role allows it, a control action has a recently proved password,
// the request matches its schema — and what it audits on the way.
import { describe, expect, it } from 'vitest';
import { roles, type Caller } from '../../../../shared/api/access.ts';
import { callAccess, requestSchemas, type ApiHandlers } from '../../../../shared/api/contract.ts';
import { ApiRefusal } from '../../../../electron/platform/api-refusal.ts';
import { MemoryAuditTrail, verifyAuditChain } from '../../../../electron/platform/audit-trail.ts';
import { dispatch, type DispatchOptions } from '../../../../electron/platform/dispatch.ts';
import { testCaller } from '../../../fixtures/callers.ts';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const calls: Array<{ name: string; caller: Caller }> = [];
const handlers = {
  'site/get': () => {
    throw new Error('site file unreadable');
  },
  'history/recent': ({ device }: { device: string }, { caller }: { caller: Caller }) => {
    calls.push({ name: 'history/recent', caller });
    return [{ timeMs: 1, value: device.length }];
  },
  'control/acknowledge': ({ alarmId }: { alarmId: number }, { caller }: { caller: Caller }) => {
    calls.push({ name: 'control/acknowledge', caller });
    if (alarmId === 404) throw new ApiRefusal('not-found', 'no alarm 404');
    return { ok: true };
  },
  'control/command': (_r: unknown, { caller }: { caller: Caller }) => {
    calls.push({ name: 'control/command', caller });
    return { ok: true };
  },
  'market/save-settings': () => ({ ok: true }),
} as unknown as ApiHandlers;

function setup() {
  calls.length = 0;
  const audit = new MemoryAuditTrail();
  const options: DispatchOptions = { audit, now: () => NOW, recentSignInMs: 15 * 60_000 };
  const as = (role: Caller['role'], provedAgoMs = 0): Caller => ({
    ...testCaller(role, `u-${role}`),
    transport: 'websocket',
    peer: '127.0.0.1:5000',
    provedMs: NOW - provedAgoMs,
  });
  return { audit, options, as };
}

describe('every call declares its access', () => {
  it('has a role for each call of the contract, and only changing calls skip the handler audit', () => {
    expect(Object.keys(callAccess).sort()).toEqual(Object.keys(requestSchemas).sort());
    for (const [name, access] of Object.entries(callAccess)) {
      expect(roles, name).toContain(access.role);
      if (access.auditedByHandler || access.recentSignIn) expect(access.changes, name).toBe(true);
    }
  });

  it('gives control to operators, devices to technicians, money and settings to admins', () => {
    expect(callAccess['control/command']).toMatchObject({ role: 'operator', recentSignIn: true });
    expect(callAccess['field/command']).toMatchObject({ role: 'technician', recentSignIn: true });
    expect(callAccess['field/scan'].role).toBe('technician');
    expect(callAccess['settlement/resettle']).toMatchObject({ role: 'admin', recentSignIn: true });
    expect(callAccess['market/save-settings'].role).toBe('admin');
    expect(callAccess['live/snapshot']).toMatchObject({ role: 'viewer', changes: false });
  });
});

describe('API dispatch', () => {
  it('runs a valid call with the caller the session gives', async () => {
    const { options, as } = setup();
    const viewer = as('viewer');
    expect(
      await dispatch(
        handlers,
        viewer,
        'history/recent',
        { device: 'abc', quantity: 'powerKW', sinceMs: 0 },
        options,
      ),
    ).toEqual({ ok: true, response: [{ timeMs: 1, value: 3 }] });
    expect(calls).toEqual([{ name: 'history/recent', caller: viewer }]);
  });

  it('refuses an unknown call before any handler runs, and audits it', async () => {
    const { audit, options, as } = setup();
    const result = await dispatch(handlers, as('admin'), 'system/shutdown', {}, options);
    expect(result).toEqual({
      ok: false,
      error: { code: 'unknown-call', message: "unknown call 'system/shutdown'" },
    });
    expect(calls).toEqual([]);
    expect(audit.records.at(-1)).toMatchObject({
      action: 'system/shutdown',
      result: 'refused',
      user: 'u-admin',
    });
  });

  it('refuses every call without a session, audits it with no user, runs nothing', async () => {
    const { audit, options } = setup();
    const anonymous = { transport: 'websocket' as const, peer: '10.0.0.9:1234' };
    const result = await dispatch(
      handlers,
      anonymous,
      'control/command',
      { command: { kind: 'shed', tier: 3 }, confirmed: true },
      options,
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(calls).toEqual([]);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({
      user: null,
      role: null,
      peer: '10.0.0.9:1234',
      action: 'control/command',
      result: 'refused',
    });
  });

  it("refuses a viewer's control action and an operator's settings change, naming the role needed", async () => {
    const { audit, options, as } = setup();
    const shed = { command: { kind: 'shed', tier: 3 }, confirmed: true };
    const viewer = await dispatch(handlers, as('viewer'), 'control/command', shed, options);
    expect(viewer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    if (!viewer.ok)
      expect(viewer.error.message).toBe("'control/command' needs the operator role; u-viewer is viewer");
    const operator = await dispatch(handlers, as('operator'), 'market/save-settings', {}, options);
    expect(operator).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toEqual([]);
    expect(audit.records.map((r) => [r.user, r.action, r.result])).toEqual([
      ['u-viewer', 'control/command', 'refused'],
      ['u-operator', 'market/save-settings', 'refused'],
    ]);
  });

  it('asks for the password again when the session proved it longer ago than the limit', async () => {
    const { options, as } = setup();
    const shed = { command: { kind: 'shed', tier: 3 }, confirmed: true };
    // 15 min is the limit: 15 min ago still passes, 15 min and 1 ms does not.
    expect(
      await dispatch(handlers, as('operator', 15 * 60_000), 'control/command', shed, options),
    ).toMatchObject({ ok: true });
    expect(
      await dispatch(handlers, as('operator', 15 * 60_000 + 1), 'control/command', shed, options),
    ).toMatchObject({
      ok: false,
      error: { code: 'reauthenticate' },
    });
    // Reading needs no recent password.
    expect(
      await dispatch(
        handlers,
        as('viewer', 24 * 3_600_000),
        'history/recent',
        { device: 'a', quantity: 'q', sinceMs: 0 },
        options,
      ),
    ).toMatchObject({ ok: true });
  });

  it('validates the request with the contract schema and names the path', async () => {
    const { options, as } = setup();
    const result = await dispatch(
      handlers,
      as('viewer'),
      'history/recent',
      { device: '', quantity: 'powerKW', sinceMs: -1, extra: 1 },
      options,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid');
    expect(result.error.message).toContain('device:');
    expect(result.error.message).toContain('sinceMs:');
    expect(calls).toEqual([]);
  });

  it('audits a changing call once: by the dispatcher, or by the handler where the call says so', async () => {
    const { audit, options, as } = setup();
    await dispatch(handlers, as('operator'), 'control/acknowledge', { alarmId: 7 }, options);
    expect(audit.records.map((r) => [r.action, r.result, r.user])).toEqual([
      ['control/acknowledge', 'ok', 'u-operator'],
    ]);
    // control/command is audited by the controller with its own words: nothing from the dispatcher.
    await dispatch(
      handlers,
      as('operator'),
      'control/command',
      { command: { kind: 'reconnect' }, confirmed: true },
      options,
    );
    expect(audit.records).toHaveLength(1);
    // Reads are not audited.
    await dispatch(
      handlers,
      as('viewer'),
      'history/recent',
      { device: 'a', quantity: 'q', sinceMs: 0 },
      options,
    );
    expect(audit.records).toHaveLength(1);
    expect(verifyAuditChain(audit.records)).toEqual({ ok: true, records: 1 });
  });

  it("passes a handler's refusal code on, and audits it when the call changes state", async () => {
    const { audit, options, as } = setup();
    expect(
      await dispatch(handlers, as('operator'), 'control/acknowledge', { alarmId: 404 }, options),
    ).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no alarm 404' },
    });
    expect(audit.records.at(-1)).toMatchObject({ result: 'refused', reason: 'not-found: no alarm 404' });
  });

  it('reports a failing handler as a failure, not a crash, and audits it', async () => {
    const { audit, options, as } = setup();
    expect(await dispatch(handlers, as('viewer'), 'site/get', {}, options)).toEqual({
      ok: false,
      error: { code: 'failed', message: 'site file unreadable' },
    });
    expect(audit.records.at(-1)).toMatchObject({ action: 'site/get', result: 'failed' });
  });

  it('bounds what an unknown call name can write into the audit', async () => {
    const { audit, options, as } = setup();
    await dispatch(handlers, as('viewer'), 'x'.repeat(100_000), {}, options);
    expect(audit.records.at(-1)!.action.length).toBe(64);
  });
});
