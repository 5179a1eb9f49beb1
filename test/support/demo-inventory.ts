import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DomainInventory, ServerInventory } from '../../backend/src/plesk/inventory.js';
import { buildServerInventory } from '../../backend/src/plesk/inventory-builder.js';
import { parseInventoryOutput } from '../../backend/src/plesk/inventory-script.js';
import type { ScriptedServer } from './scripted-server.js';

// Decoded once (the archive reader is asynchronous); each call builds a fresh inventory from it.
const DEMO_RAW = await parseInventoryOutput(
  'demo',
  readFileSync(fileURLToPath(new URL('../../../test/fixtures/plesk/inventory-demo.out', import.meta.url)), 'utf8'),
);

/** The demo server's inventory as captured from the test host (test/fixtures/plesk/inventory-demo.out). */
export function demoInventory(): ServerInventory {
  return buildServerInventory(DEMO_RAW, {
    server: 'demo',
    systemDir: '/var/www/vhosts/system',
    socketIoPaths: { 'custompath.demo.test': '/live/socket.io/' },
    readAt: new Date('2026-12-04T20:00:00Z'),
    execs: 1,
    ms: 1,
  });
}

/** Puts every admin file the inventory saw into the scripted server, byte for byte. */
export function seedFrom(server: ScriptedServer, domains: readonly DomainInventory[]): ScriptedServer {
  for (const d of domains) for (const f of d.files) if (f.exists) server.seed(f.path, f.content);
  return server;
}
