import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../../shared/api/access.ts';
import { WindowSessions } from '../../../../electron/main/window-sessions.ts';

const operator: Caller = {
  user: 'ana',
  role: 'operator',
  transport: 'ipc',
  peer: 'window 7',
  provedMs: 1_000,
  sessionId: 's-1',
};

describe('window sessions', () => {
  it('makes a window anonymous until it signs in', () => {
    const sessions = new WindowSessions(() => operator);
    expect(sessions.callerFor(7)).toEqual({ transport: 'ipc', peer: 'window 7' });
  });

  it("gives a signed-in window its own session's caller, and no other window", () => {
    const known = new Map([['s-1', operator]]);
    const sessions = new WindowSessions((id) => known.get(id) ?? null);
    sessions.attach(7, 's-1');
    expect(sessions.callerFor(7)).toBe(operator);
    expect(sessions.callerFor(8)).toEqual({ transport: 'ipc', peer: 'window 8' });
  });

  it('forgets the session on sign-out or close, and drops one the store no longer knows', () => {
    const known = new Map([['s-1', operator]]);
    const sessions = new WindowSessions((id) => known.get(id) ?? null);
    sessions.attach(7, 's-1');
    sessions.forget(7);
    expect(sessions.callerFor(7)).toEqual({ transport: 'ipc', peer: 'window 7' });

    sessions.attach(7, 's-1');
    known.delete('s-1'); // expired in the session store
    expect(sessions.callerFor(7)).toEqual({ transport: 'ipc', peer: 'window 7' });
    expect(sessions.sessionIdOf(7)).toBeNull();
  });
});
