// What authorization costs per call, on the console's own handlers (the demo village, simulated):
// with it, each call finds its session, reads the user's role from the users file's cache, checks
// the call's declared role and validates the request (what `serve` does for every WebSocket
// message); without it, the request is only validated and the handler run (the dispatcher before
// sign-in existed). Warm against warm, in alternating rounds, best of each. A state-changing call
// also writes one hash-chained audit record with synchronous=FULL; its rate is reported apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startConsole } from '../../electron/app/console-app.ts';
import { requestSchemas, type ApiName } from '../../shared/api/contract.ts';
import { testCaller } from '../fixtures/callers.ts';
import { demoSitePath } from '../fixtures/paths.ts';

const CALLS = 20_000;
const ROUNDS = 5;

export default async function bench(): Promise<Record<string, unknown>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-bench-auth-'));
  const app = await startConsole({ siteFile: demoSitePath, dataDir, simulate: true, transport: 'websocket' });
  try {
    app.auth.firstRunLink();
    const signedIn = app.auth.redeemLink(app.auth.issueLink('admin'), 'websocket', '127.0.0.1:1');
    if (!signedIn.ok) throw new Error('no session for the bench');
    const sessionId = signedIn.session.id;
    const name: ApiName = 'control/state';
    const handler = app.handlers[name] as (r: unknown, c: unknown) => unknown;
    const bare = { caller: testCaller('admin') };

    const withAuthorization = async () => {
      const t = performance.now();
      for (let i = 0; i < CALLS; i++) {
        const caller = app.auth.callerFor(sessionId, 'websocket', '127.0.0.1:1');
        if (!caller) throw new Error('the session ended');
        const result = await app.call(caller, name, {});
        if (!result.ok) throw new Error(result.error.message);
      }
      return CALLS / ((performance.now() - t) / 1000);
    };
    const without = async () => {
      const t = performance.now();
      for (let i = 0; i < CALLS; i++) {
        const parsed = requestSchemas[name].safeParse({});
        if (!parsed.success) throw new Error('invalid');
        await handler(parsed.data, bare);
      }
      return CALLS / ((performance.now() - t) / 1000);
    };

    await withAuthorization();
    await without();
    const on: number[] = [];
    const off: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        on.push(await withAuthorization());
        off.push(await without());
      } else {
        off.push(await without());
        on.push(await withAuthorization());
      }
    }

    // A changing call: acknowledging an alarm that does not exist still writes its audit record.
    const audited = 500;
    const admin = app.auth.callerFor(sessionId, 'websocket', '127.0.0.1:1')!;
    const t = performance.now();
    for (let i = 0; i < audited; i++)
      await app.call(admin, 'control/acknowledge', { alarmId: 1_000_000 + i });
    const auditedPerS = audited / ((performance.now() - t) / 1000);

    const best = (xs: number[]) => Math.max(...xs);
    return {
      call: name,
      calls: CALLS,
      rounds: ROUNDS,
      withAuthorizationPerS: Math.round(best(on)),
      withoutPerS: Math.round(best(off)),
      ratio: Number((best(on) / best(off)).toFixed(3)),
      auditedChangesPerS: Math.round(auditedPerS),
    };
  } finally {
    await app.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
