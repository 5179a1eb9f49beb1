/**
 * Composition root: the one place that builds services (config, store, logger, servers, SSH pool) and
 * hands them to cli/ and web/. Other modules add their service here, built from these, and list it in
 * `Services` (cli/services.ts); nothing else constructs services, and nothing imports this file.
 *
 * Run directly (`node dist/backend/src/main.js <command>`) or through bin/passenger-panel.mjs.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type DestinationStream, type Logger } from 'pino';
import { runCli } from './cli/run.js';
import type { ServiceOptions, Services, WebPanel } from './cli/services.js';
import { EMPTY_CONFIG, loadConfigFile, panelPaths, readDemoServer, ServerRegistry, type PanelPaths } from './config/index.js';
import { createStore, DATABASE_FILE, openDatabase } from './store/index.js';
import { SessionPool } from './ssh/pool.js';
import { diagnoseServer } from './diagnose/diagnose.js';
import { InventoryService } from './plesk/inventory-service.js';
import { DomainLocks } from './apply/domain-lock.js';
import { DomainLockRows } from './store/domain-locks.js';
import { ChangeService } from './jobs/change-service.js';
import { JobEventBus } from './jobs/event-bus.js';
import { BulkRunner } from './jobs/bulk-runner.js';
import { DeadHolderLockRows } from './jobs/stale-locks.js';
import { sshPorts } from './jobs/ports.js';
import { JobRunner } from './jobs/job-runner.js';
import type { ServerEntry } from './config/types.js';
import type { PublicEndpoint } from './verify/verifier.js';
import { bulkPort } from './web/bulk-port.js';
import { changeJobs } from './web/change-jobs.js';
import { inventoryPort } from './web/inventory-port.js';
import { hashPasswordFromStream } from './web/password.js';
import { resolveServeOptions, runServe } from './web/serve.js';
import type { PanelServices } from './web/services.js';

export type { ServiceOptions, Services } from './cli/services.js';

// Anything that could carry a secret is censored before a log line is written.
const REDACT_PATHS = [
  'password',
  '*.password',
  'passphrase',
  '*.passphrase',
  'privateKey',
  '*.privateKey',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'cookie',
  '*.cookie',
  'authorization',
  '*.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
];

/** JSON lines to stderr (stdout belongs to command output); `destination` is for tests. */
export function createLogger(level: string, destination: DestinationStream = pino.destination({ dest: 2, sync: true })): Logger {
  return pino({ level, base: { app: 'passenger-panel' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

export async function createServices(options: ServiceOptions = {}): Promise<Services> {
  const env = options.env ?? process.env;
  const defaults = panelPaths(env);
  const paths: PanelPaths = {
    configPath: options.configPath ?? defaults.configPath,
    dataDir: options.dataDir ?? defaults.dataDir,
    demoConnectionPath: options.demoConnectionPath ?? defaults.demoConnectionPath,
  };
  const logger = options.logger ?? createLogger(options.logLevel ?? env.PASSENGER_PANEL_LOG_LEVEL ?? 'info');
  // Validate the config before opening anything, so a bad file fails fast and leaves nothing behind.
  const config = paths.configPath ? loadConfigFile(paths.configPath) : EMPTY_CONFIG;
  const demo = readDemoServer(paths.demoConnectionPath);
  const db = openDatabase(options.databasePath ?? join(paths.dataDir, DATABASE_FILE));
  let closed = false;
  try {
    const store = createStore(db);
    const servers = new ServerRegistry(store.servers, { configServers: config.servers, demo, forceDemo: options.demo === true });
    const pool = new SessionPool({
      connectTimeoutMs: config.ssh.connectTimeoutMs,
      commandTimeoutMs: config.ssh.commandTimeoutMs,
      maxChannels: config.ssh.maxChannelsPerServer,
      logger,
    });
    const inventory = new InventoryService(pool, { analyse: (inv) => diagnoseServer(inv) });
    const events = new JobEventBus();
    const ports = sshPorts(pool);
    // One set of domain locks for single changes and bulk jobs; a lock held by a dead process on this machine frees itself.
    const locks = new DomainLocks(new DeadHolderLockRows(new DomainLockRows(db)));
    const changes = new ChangeService({
      ports,
      journal: store.journal,
      locks,
      endpointFor: (server) => publicEndpointOf(servers.find(server.name) ?? { ...server, source: 'config' }),
    });
    const bulk = new BulkRunner({
      ports,
      jobs: store.jobs,
      journal: store.journal,
      bus: events,
      locks,
      servers: { list: () => servers.list(), get: (name) => servers.get(name) },
      endpointFor: (server) => publicEndpointOf(servers.find(server.name) ?? { ...server, source: 'config' }),
    });
    const runner = new JobRunner({ changes, bulk, jobs: store.jobs, journal: store.journal, bus: events });
    logger.debug(
      { config: paths.configPath ?? null, dataDir: paths.dataDir, servers: servers.list().map((s) => s.name) },
      'services ready',
    );
    return {
      paths,
      config,
      logger,
      db,
      store,
      servers,
      pool,
      inventory,
      changes,
      bulk,
      runner,
      events,
      async close() {
        if (closed) return;
        closed = true;
        pool.closeAll();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Where browsers reach a server's sites, for the live probe: the demo host's nginx listens on
 * 127.0.0.1:8080/8443 with a self-signed certificate; a real server answers on 80/443 at its SSH address.
 */
export function publicEndpointOf(server: ServerEntry): PublicEndpoint {
  if (server.source === 'demo') return { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };
  return { address: server.host, httpPort: 80, httpsPort: 443 };
}

/** web/'s ports over the services: the pages read and change through these only. */
function panelServices(services: Services): PanelServices {
  const onError = (message: string, err: unknown): void => services.logger.error({ err }, message);
  const { domains, jobs } = changeJobs({
    servers: services.servers,
    inventory: services.inventory,
    changes: services.changes,
    runner: services.runner,
    store: services.store,
    events: services.events,
    onError,
  });
  return {
    inventory: inventoryPort({ servers: services.servers, inventory: services.inventory }),
    domains,
    jobs,
    bulk: bulkPort({ runner: services.runner, inventory: services.inventory, onError }),
  };
}

/** The web panel as `serve` and `hash-password` use it. */
export const webPanel: WebPanel = {
  async start(flags, services, print) {
    // Flags first, so a bad one fails before the config, database or panel open.
    const options = resolveServeOptions(flags);
    return runServe(options, panelServices(await services()), print);
  },
  hashPassword: hashPasswordFromStream,
};

/** CLI entry: runs one command and returns its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, { createServices, web: webPanel });
}

// Started as a script (npm start), not imported (bin/, tests).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
