import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from (source or dist), found by its package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'passenger-panel') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the passenger-panel package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export interface PanelPaths {
  /** PASSENGER_PANEL_CONFIG: the JSON config file; undefined means none. */
  configPath: string | undefined;
  /** PASSENGER_PANEL_DATA (default ./data): the SQLite store and other state. */
  dataDir: string;
  /** Where the test host writes its connection details (the demo server). */
  demoConnectionPath: string;
}

export function panelPaths(env: NodeJS.ProcessEnv = process.env): PanelPaths {
  return {
    configPath: env.PASSENGER_PANEL_CONFIG ? resolve(env.PASSENGER_PANEL_CONFIG) : undefined,
    dataDir: resolve(env.PASSENGER_PANEL_DATA || './data'),
    demoConnectionPath: resolve(env.PASSENGER_PANEL_DEMO_CONNECTION || join(repoRoot(), 'test/host/.state/connection.json')),
  };
}
