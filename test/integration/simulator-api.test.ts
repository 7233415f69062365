// The simulator's calls: they drive the in-process simulator, and a console on real devices
// refuses them with code 'refused' and the reason.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startConsole } from '../../electron/app/console-app.ts';
import { demoSitePath } from '../fixtures/paths.ts';
import { asAdmin, testCaller } from '../fixtures/callers.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-sim-api-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('simulator calls', () => {
  it('cut the grid and change the weather of a simulated site', async () => {
    const app = await startConsole({
      siteFile: demoSitePath,
      dataDir: tempDir(),
      simulate: true,
      transport: 'websocket',
    });
    try {
      expect(await app.handlers['simulator/state']({}, asAdmin)).toEqual({
        simulated: true,
        gridAvailable: true,
        weather: 'clear',
      });
      const cut = await app.call(testCaller('admin'), 'simulator/grid', { available: false });
      expect(cut).toEqual({
        ok: true,
        response: { simulated: true, gridAvailable: false, weather: 'clear' },
      });
      expect(app.simulator?.physics.state.gridAvailable).toBe(false);
      await app.handlers['simulator/weather']({ weather: 'storm' }, asAdmin);
      expect(app.simulator?.physics.state.weather).toBe('storm');
      const bad = await app.call(testCaller('admin'), 'simulator/weather', { weather: 'snow' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
    } finally {
      await app.stop();
    }
  });

  it('are refused on real devices', async () => {
    const app = await startConsole({
      siteFile: demoSitePath,
      dataDir: tempDir(),
      simulate: false,
      transport: 'websocket',
    });
    try {
      expect(await app.handlers['simulator/state']({}, asAdmin)).toEqual({
        simulated: false,
        gridAvailable: null,
        weather: null,
      });
      const cut = await app.call(testCaller('admin'), 'simulator/grid', { available: false });
      expect(cut).toMatchObject({
        ok: false,
        error: { code: 'unavailable', message: expect.stringMatching(/real devices/) },
      });
    } finally {
      await app.stop();
    }
  });
});
