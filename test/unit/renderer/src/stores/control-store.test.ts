// ControlStore's guards, without React, against a fake client whose answers the test gives one at a
// time: a command runs only after the back end said it may and the operator confirmed, once; a
// late verdict never lands on a newer proposal; one subscription however many views open it.
import { describe, expect, it } from 'vitest';
import type {
  ApiEventName,
  ApiEvents,
  ApiName,
  ApiRequest,
  ApiResponse,
} from '../../../../../shared/api/contract.ts';
import type { CommandOutcome, ControlState, OperatorCommand } from '../../../../../shared/api/control-api.ts';
import { ControlStore, type ControlClient } from '../../../../../renderer/src/stores/control-store.ts';

interface Call {
  name: string;
  request: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

class FakeClient implements ControlClient {
  calls: Call[] = [];
  /** Every call made, answered or not, in order. */
  log: string[] = [];
  listeners = new Map<string, Array<(payload: unknown) => void>>();

  call<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<ApiResponse<K>> {
    this.log.push(name);
    return new Promise((resolve, reject) => {
      this.calls.push({ name, request, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const entry = listener as (payload: unknown) => void;
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), entry]);
    return () =>
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== entry),
      );
  }

  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }

  waiting(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  private take(name: string, index: number): Call {
    const call = this.waiting(name)[index];
    if (!call)
      throw new Error(`no pending ${name} call (pending: ${this.calls.map((c) => c.name).join(', ')})`);
    this.calls.splice(this.calls.indexOf(call), 1);
    return call;
  }

  answer(name: string, value: unknown, index = 0): void {
    this.take(name, index).resolve(value);
  }

  fail(name: string, message: string, index = 0): void {
    this.take(name, index).reject(new Error(message));
  }
}

/** Lets the store's awaits after an answer run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

const shed3: OperatorCommand = { kind: 'shed', tier: 3 };
const shed2: OperatorCommand = { kind: 'shed', tier: 2 };

function outcome(over: Partial<CommandOutcome> = {}): CommandOutcome {
  return { ok: true, done: true, reason: '', summary: 'shed tier 3', auditId: 7, atMs: 1000, ...over };
}

function state(over: Partial<ControlState> = {}): ControlState {
  return {
    timeMs: 0,
    siteKind: 'connected',
    mode: 'grid-connected',
    sinceMs: 0,
    reason: '',
    pcc: {
      quality: 'good',
      voltageV: 230,
      frequencyHz: 50,
      powerKW: 5,
      breakerClosed: true,
      breakerTripped: false,
      gridStatus: 'present',
      gridReason: '',
      gridStableForS: null,
      stableRequiredS: 300,
    },
    island: { voltageV: null, frequencyHz: null, energised: null },
    pool: { socFraction: 0.5, powerKW: 0, availableKW: 60, reserveSoC: 0.2, reserveKWh: 20, batteries: [] },
    pvLimitFraction: 1,
    tiers: [],
    syncCheck: null,
    schedule: [],
    alarms: [],
    transitions: [],
    events: [],
    deadBandKW: 1,
    ...over,
  } as ControlState;
}

describe('ControlStore: a command in two steps', () => {
  it('does not run a command before the back end has answered the check', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    void store.propose(shed3);
    expect(store.pending?.check).toBeNull();
    expect(await store.confirm()).toBeNull();
    expect(api.log).toEqual(['control/check']);
  });

  it('does not run a command the back end refused', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const asked = store.propose(shed3);
    api.answer('control/check', { ok: false, reason: 'not islanded', summary: 'shed tier 3' });
    await asked;
    expect(store.pending?.check?.reason).toBe('not islanded');
    expect(await store.confirm()).toBeNull();
    expect(api.log).toEqual(['control/check']);
  });

  it('runs nothing when nothing is proposed, or the proposal was cancelled', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    expect(await store.confirm()).toBeNull();
    const asked = store.propose(shed3);
    api.answer('control/check', { ok: true, reason: '', summary: 'shed tier 3' });
    await asked;
    store.cancel();
    expect(store.pending).toBeNull();
    expect(await store.confirm()).toBeNull();
    expect(api.log).toEqual(['control/check']);
  });

  it('runs a confirmed command once, however often confirm is pressed while it runs', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const asked = store.propose(shed3);
    api.answer('control/check', { ok: true, reason: '', summary: 'shed tier 3' });
    await asked;
    const first = store.confirm();
    expect(store.running).toBe(true);
    expect(await store.confirm()).toBeNull();
    expect(api.waiting('control/command')).toHaveLength(1);
    expect((api.waiting('control/command')[0]!.request as { command: OperatorCommand }).command).toEqual(
      shed3,
    );
    api.answer('control/command', outcome());
    await settle();
    api.answer('audit/list', []);
    expect(await first).toEqual(outcome());
    expect(store.running).toBe(false);
    expect(store.pending).toBeNull();
    expect(store.lastOutcome).toMatchObject({ ok: true, label: 'shed tier 3', auditId: 7 });
    expect(api.log.filter((n) => n === 'control/command')).toHaveLength(1);
  });

  it('keeps a late verdict on an old proposal off the newer one', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const old = store.propose(shed3);
    const newer = store.propose(shed2);
    // The verdict on shed 3 arrives after shed 2 was proposed: it must not make shed 2 confirmable.
    api.answer('control/check', { ok: true, reason: '', summary: 'shed tier 3' }, 0);
    await old;
    expect(store.pending?.command).toEqual(shed2);
    expect(store.pending?.check).toBeNull();
    expect(await store.confirm()).toBeNull();
    api.answer('control/check', {
      ok: false,
      reason: 'tier 2 is essential to someone',
      summary: 'shed tier 2',
    });
    await newer;
    expect(store.pending?.check).toEqual({
      ok: false,
      reason: 'tier 2 is essential to someone',
      summary: 'shed tier 2',
    });
  });

  it('shows a failed check as a refusal naming the error', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const asked = store.propose(shed3);
    api.fail('control/check', 'connection to the console server lost');
    await asked;
    expect(store.pending?.check).toEqual({
      ok: false,
      reason: 'connection to the console server lost',
      summary: 'shed tier 3',
    });
    expect(await store.confirm()).toBeNull();
  });

  it('reports a command that failed in transit, and leaves nothing to confirm', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const asked = store.propose(shed3);
    api.answer('control/check', { ok: true, reason: '', summary: 'shed tier 3' });
    await asked;
    const run = store.confirm();
    api.fail('control/command', 'forbidden: operator role needed');
    expect(await run).toBeNull();
    expect(store.lastOutcome).toMatchObject({
      ok: false,
      done: false,
      reason: 'forbidden: operator role needed',
      label: 'shed tier 3',
    });
    expect(store.pending).toBeNull();
    expect(store.running).toBe(false);
  });
});

describe('ControlStore: subscription and state', () => {
  it('subscribes once for any number of views and unsubscribes when the last closes', () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const closeA = store.open();
    const closeB = store.open();
    expect(api.listeners.get('control/state')).toHaveLength(1);
    expect(api.log).toEqual(['control/state']);
    closeA();
    closeA(); // closing twice must not close B's subscription
    expect(api.listeners.get('control/state')).toHaveLength(1);
    api.emit('control/state', state({ mode: 'islanded' }));
    expect(store.state?.mode).toBe('islanded');
    closeB();
    expect(api.listeners.get('control/state')).toHaveLength(0);
    api.emit('control/state', state({ mode: 'blackout' }));
    expect(store.state?.mode).toBe('islanded');
  });

  it('names a failed load and clears the error on the next good one', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const first = store.load();
    api.fail('control/state', 'unavailable');
    await first;
    expect(store.error).toBe('control state not available: unavailable');
    // The audit is asked for only once the state has come.
    expect(api.log).toEqual(['control/state']);
    const second = store.load();
    api.answer('control/state', state());
    await settle();
    api.answer('audit/list', []);
    await second;
    expect(store.error).toBeNull();
    expect(store.state?.mode).toBe('grid-connected');
  });

  it('shows no audit, and no error, to a caller who may not list it', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const load = store.load();
    api.answer('control/state', state());
    await settle();
    expect(api.waiting('audit/list')[0]!.request).toEqual({ action: 'control/command', limit: 50 });
    api.fail('audit/list', 'forbidden: technician role needed');
    await load;
    expect(store.audit).toEqual([]);
    expect(store.error).toBeNull();
  });

  it('acknowledges an alarm, then reloads the picture', async () => {
    const api = new FakeClient();
    const store = new ControlStore(api);
    const ack = store.acknowledge(4);
    expect(api.waiting('control/acknowledge')[0]!.request).toEqual({ alarmId: 4 });
    expect(api.log).toEqual(['control/acknowledge']);
    api.answer('control/acknowledge', { ok: true });
    await settle();
    expect(api.log).toEqual(['control/acknowledge', 'control/state']);
    const alarm = {
      id: 4,
      code: 'grid-lost',
      severity: 'critical',
      message: 'grid lost',
      raisedMs: 1,
      clearedMs: null,
      acknowledged: true,
    } as const;
    api.answer('control/state', state({ alarms: [alarm] }));
    await settle();
    api.answer('audit/list', []);
    await ack;
    expect(store.activeAlarms).toEqual([alarm]);
  });

  it('derives the topology snapshot: islanded, energised, shed members, active alarms', () => {
    const store = new ControlStore(new FakeClient());
    expect(store.snapshot).toBeNull();
    const tier = (n: number, shed: boolean, members: string[]) =>
      ({ tier: n, shed, members }) as ControlState['tiers'][number];
    store.accept(
      state({
        mode: 'islanded',
        pcc: { ...state().pcc!, breakerClosed: false },
        island: { voltageV: 230, frequencyHz: 50, energised: true },
        tiers: [tier(2, false, ['h05']), tier(3, true, ['h01', 'h02'])],
        alarms: [
          { id: 1, code: 'a', severity: 'info', message: '', raisedMs: 1, clearedMs: 2, acknowledged: true },
          {
            id: 2,
            code: 'b',
            severity: 'warning',
            message: '',
            raisedMs: 1,
            clearedMs: null,
            acknowledged: false,
          },
        ],
      }),
    );
    expect(store.snapshot).toEqual({
      mode: 'islanded',
      islanded: true,
      energised: true,
      breakerClosed: false,
      shedTiers: [3],
      shedMembers: ['h01', 'h02'],
      activeAlarms: 1,
    });
    // Breaker closed but the grid lost: islanded all the same. A blackout is not energised.
    store.accept(state({ mode: 'blackout', pcc: { ...state().pcc!, gridStatus: 'lost' } }));
    expect(store.snapshot).toMatchObject({ islanded: true, energised: false, breakerClosed: true });
    store.accept(
      state({
        siteKind: 'off-grid',
        pcc: null,
        island: { voltageV: 230, frequencyHz: 50, energised: false },
      }),
    );
    expect(store.snapshot).toMatchObject({ islanded: true, energised: false, breakerClosed: null });
    store.accept(state());
    expect(store.snapshot).toMatchObject({ islanded: false, energised: true, breakerClosed: true });
  });
});
