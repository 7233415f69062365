#!/usr/bin/env node
// The `commonwatt` launcher: loads the TypeScript CLI through tsx so that `npx commonwatt` works
// straight after `npm ci`, with no build step in between.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
