// The console window's options. Every web preference that guards the main process is spelled out
// rather than left to a default, so a test can hold each one and an upgrade cannot flip it.
import type { BrowserWindowConstructorOptions } from 'electron';

export function consoleWindowOptions(preloadFile: string): BrowserWindowConstructorOptions {
  return {
    width: 1600,
    height: 960,
    backgroundColor: '#0b0f14',
    title: 'Commonwatt',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}
