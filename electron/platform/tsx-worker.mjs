// Starts a TypeScript worker module from the sources (the CLI through tsx, and the tests). Under
// Node 20 tsx registers its loader on the main thread only, so a worker thread registers it here
// before it loads the module named by the worker host (worker-host.ts). The Electron bundle does
// not use this file: there each worker is a chunk of its own.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
