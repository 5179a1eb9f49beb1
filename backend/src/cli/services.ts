/**
 * What the CLI is handed by the composition root (main.ts builds it): the services and the web panel.
 * Declared here, not in main.ts, so cli/ never imports main.ts back; main.ts re-exports the types.
 */
import type { Logger } from 'pino';
import type { LoadedConfig, PanelPaths, ServerRegistry } from '../config/index.js';
import type { ServerDiagnosis } from '../diagnose/diagnose.js';
import type { BulkRunner } from '../jobs/bulk-runner.js';
import type { ChangeService } from '../jobs/change-service.js';
import type { JobEventBus } from '../jobs/event-bus.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { InventoryService } from '../plesk/inventory-service.js';
import type { SessionPool } from '../ssh/pool.js';
import type { Database, Store } from '../store/index.js';

export interface ServiceOptions {
  /** Config file; default $PASSENGER_PANEL_CONFIG; none means no configured servers. */
  configPath?: string | undefined;
  /** Data directory; default $PASSENGER_PANEL_DATA or ./data. */
  dataDir?: string | undefined;
  /** SQLite file; default <dataDir>/passenger-panel.sqlite. ':memory:' for tests. */
  databasePath?: string | undefined;
  /** Demo host connection file; default test/host/.state/connection.json. */
  demoConnectionPath?: string | undefined;
  /** Include the demo host even when other servers are configured (`serve --demo`). */
  demo?: boolean | undefined;
  /** pino level; default $PASSENGER_PANEL_LOG_LEVEL or 'info'. */
  logLevel?: string | undefined;
  /** A ready logger (tests); otherwise one writing JSON lines to stderr. */
  logger?: Logger | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface Services {
  paths: PanelPaths;
  config: LoadedConfig;
  logger: Logger;
  db: Database;
  store: Store;
  servers: ServerRegistry;
  pool: SessionPool;
  /** Whole-server reads (one SSH exec each) with their diagnosis; the last read per server is cached. */
  inventory: InventoryService<ServerDiagnosis>;
  /** Single-domain changes (plan, apply with verification and rollback, history), journaled in the store. */
  changes: ChangeService;
  /** Bulk jobs across servers (one config test and at most one reload per server), durable and resumable. */
  bulk: BulkRunner;
  /** The one job runner: every change (apply, set, rollback, bulk) runs as a durable job through it. */
  runner: JobRunner;
  /** Live job events for the web pages and the CLI. */
  events: JobEventBus;
  /** Closes SSH sessions and the database. Safe to call twice. */
  close(): Promise<void>;
}

/** `serve` flags as read from the command line (all text, all optional); web/ checks them. */
export interface ServeFlags {
  mode?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  basePath?: string | undefined;
  tokenSecretFile?: string | undefined;
  passwordHashFile?: string | undefined;
}

/** A started panel, as far as the CLI cares. */
export interface StartedPanel {
  /** Standalone mode: the first one-time login link. */
  loginUrl: string | null;
  close(): Promise<void>;
}

/** The web panel, wired by main.ts: cli/ and web/ are both front ends and never import each other. */
export interface WebPanel {
  /** Checks the flags (before any service opens), opens the services, starts the panel and prints how to log in. */
  start(flags: ServeFlags, services: () => Promise<Services>, print: (line: string) => void): Promise<StartedPanel>;
  /** The scrypt hash `serve --password-hash-file` reads, of a password read from `input`. */
  hashPassword(input: NodeJS.ReadableStream): Promise<string>;
}
