import { describe, expect, it } from 'vitest';
import { isConsoleFrame } from '../../../../electron/main/ipc-sender.ts';

describe('the IPC sender check', () => {
  it("accepts the console's own top-level frame", () => {
    expect(isConsoleFrame({ url: 'app://console/index.html', parent: null })).toBe(true);
    expect(isConsoleFrame({ url: 'app://console/index.html#/control', parent: null })).toBe(true);
  });

  it('refuses every other origin', () => {
    for (const url of [
      'file:///app/out/renderer/index.html',
      'https://console/index.html',
      'http://127.0.0.1:8420/',
      'app://evil/index.html',
      'app://console.evil.example/index.html',
      'app://user:pw@console/index.html',
      'app://console:8080/index.html',
      'app://c0nsole/index.html',
      'about:blank',
      '',
      'not a url',
    ])
      expect(isConsoleFrame({ url, parent: null }), url).toBe(false);
  });

  it('refuses a child frame even on our origin, and a sender with no frame', () => {
    expect(isConsoleFrame({ url: 'app://console/index.html', parent: {} })).toBe(false);
    expect(isConsoleFrame(null)).toBe(false);
    expect(isConsoleFrame(undefined)).toBe(false);
  });
});
