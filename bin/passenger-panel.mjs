#!/usr/bin/env node
// `npx passenger-panel ...` from the checkout: runs the compiled CLI (build first with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/backend/src/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('passenger-panel is not built yet: run `npm run build` in the checkout first\n');
  process.exit(3);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
