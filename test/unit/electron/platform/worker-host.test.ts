// The worker host on a real worker thread (test/fixtures/echo-worker.ts, through tsx): typed
// requests and replies matched by id, a refusal that keeps its name and code, events, a set-up
// that fails, a worker that dies (pending requests fail, onDeath once) and one that is stopped.
import { afterEach, describe, expect, it } from 'vitest';
import {
  WorkerHost,
  WorkerRequestError,
  type WorkerModule,
} from '../../../../electron/platform/worker-host.ts';
import type { EchoProtocol } from '../../../fixtures/echo-worker.ts';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../../fixtures/paths.ts';

const ECHO: WorkerModule = {
  name: 'the echo worker',
  source: pathToFileURL(path.join(repoRoot, 'test', 'fixtures', 'echo-worker.ts')),
  bundled: () => Promise.reject(new Error('the tests run from the sources')),
};

const started: Array<WorkerHost<EchoProtocol>> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop()));
});

async function start(options: Partial<Parameters<typeof WorkerHost.start<EchoProtocol>>[1]> = {}) {
  const worker = await WorkerHost.start<EchoProtocol>(ECHO, { data: { greeting: 'olá' }, ...options });
  started.push(worker);
  return worker;
}

describe('worker host', () => {
  it('starts a TypeScript worker, reports what it was ready with and matches replies to requests', async () => {
    const worker = await start();
    expect(worker.ready).toEqual({ greeting: 'olá' });
    // The slow one is asked first and answers last: each reply still finds its own request.
    const [slow, fast] = await Promise.all([
      worker.request('later', { text: 'first asked', ms: 50 }),
      worker.request('echo', { text: 'second asked' }),
    ]);
    expect(slow).toEqual({ text: 'first asked' });
    expect(fast).toEqual({ text: 'second asked' });
    expect(worker.dead).toBeNull();
  });

  it('passes a refusal on with its message, name and code, and keeps the worker', async () => {
    const worker = await start();
    const refusal = await worker.request('refuse', { code: 'not-found' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(WorkerRequestError);
    expect(refusal).toMatchObject({
      message: 'refused with not-found',
      name: 'RangeError',
      code: 'not-found',
    });
    expect(await worker.request('echo', { text: 'still here' })).toEqual({ text: 'still here' });
  });

  it('delivers what the worker says unasked', async () => {
    const events: string[] = [];
    const worker = await start({ onEvent: (e) => events.push(e.shouted) });
    await worker.request('shout', { text: 'grid lost' });
    expect(events).toEqual(['GRID LOST']);
  });

  it('refuses to start a worker whose set-up fails, naming the worker and the reason', async () => {
    await expect(
      WorkerHost.start<EchoProtocol>(ECHO, { data: { greeting: 'olá', failSetUp: true } }),
    ).rejects.toThrow('the echo worker could not start: no greeting today');
  });

  it('fails every pending request when the worker dies, and tells the caller once', async () => {
    const deaths: Error[] = [];
    const worker = await start({ onDeath: (e) => deaths.push(e) });
    const pending = expect(worker.request('later', { text: 'never', ms: 10_000 })).rejects.toThrow(
      'the echo worker exited with code 3',
    );
    await expect(worker.request('die', { code: 3 })).rejects.toThrow('the echo worker exited with code 3');
    await pending;
    expect(deaths.map((e) => e.message)).toEqual(['the echo worker exited with code 3']);
    expect(worker.dead?.message).toBe('the echo worker exited with code 3');
    await expect(worker.request('echo', { text: 'anyone?' })).rejects.toThrow('exited with code 3');
  });

  it('counts a worker ended from outside as a death', async () => {
    const deaths: Error[] = [];
    const worker = await start({ onDeath: (e) => deaths.push(e) });
    await worker.terminate();
    await expect.poll(() => deaths.length).toBe(1);
  });

  it('fails pending requests when stopped, without calling it a death', async () => {
    const deaths: Error[] = [];
    const worker = await start({ onDeath: (e) => deaths.push(e) });
    const pending = expect(worker.request('later', { text: 'never', ms: 10_000 })).rejects.toThrow(
      'the echo worker is stopped',
    );
    await worker.stop();
    await pending;
    expect(deaths).toEqual([]);
  });
});
