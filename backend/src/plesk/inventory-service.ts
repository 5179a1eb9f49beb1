/**
 * Reads whole servers (one remote exec each, see inventory-script.ts), analyses them with whatever the
 * composition root hands in (diagnose/ sits above plesk/, so it is injected, not imported), and keeps
 * the last result per server in memory with its read time.
 */
import type { ServerConfig } from '../config/types.js';
import type { SessionPool } from '../ssh/pool.js';
import type { ServerInventory } from './inventory.js';
import { buildServerInventory } from './inventory-builder.js';
import { type InventoryPaths, InventoryReadError, PLESK_PATHS, inventoryCommand, parseInventoryOutput } from './inventory-script.js';

export interface InventoryServiceOptions<A> {
  /** Runs on every fresh read; its result is cached beside the inventory (diagnosis, summaries). */
  analyse: (inventory: ServerInventory, server: ServerConfig) => A;
  paths?: InventoryPaths;
  /** Limit for the one remote read; large servers take a few seconds. */
  timeoutMs?: number;
}

export interface InventoryRead<A> {
  inventory: ServerInventory;
  analysis: A;
  /** When the read finished (same instant as inventory.readAt). */
  readAt: Date;
}

/** A read of one server with nothing attached: for callers that do not diagnose (benchmarks, tools). */
export async function readServerInventory(
  pool: SessionPool,
  server: ServerConfig,
  options: { paths?: InventoryPaths; timeoutMs?: number } = {},
): Promise<ServerInventory> {
  const paths = options.paths ?? PLESK_PATHS;
  const started = performance.now();
  const execsBefore = pool.execCount(server.name);
  const session = await pool.get(server);
  const result = await session.exec(inventoryCommand(paths), { timeoutMs: options.timeoutMs ?? 120_000, allowFail: true });
  if (result.code !== 0) {
    throw new InventoryReadError(
      server.name,
      `the inventory read exited with code ${result.code}: ${result.stderr.trim().slice(-500) || 'no stderr'}`,
      {
        hint: 'the script needs sh, tar, gzip, base64, grep and mktemp on the server; run it by hand to see more',
      },
    );
  }
  const raw = await parseInventoryOutput(server.name, result.stdout);
  const readAt = new Date();
  return buildServerInventory(raw, {
    server: server.name,
    systemDir: paths.systemDir,
    socketIoPaths: server.socketIoPaths,
    readAt,
    execs: pool.execCount(server.name) - execsBefore,
    ms: Math.round(performance.now() - started),
  });
}

export class InventoryService<A> {
  private readonly cache = new Map<string, InventoryRead<A>>();
  private readonly inFlight = new Map<string, Promise<InventoryRead<A>>>();

  constructor(
    private readonly pool: SessionPool,
    private readonly options: InventoryServiceOptions<A>,
  ) {}

  /** Reads the server now (joining a read already under way) and caches the result. */
  async refresh(server: ServerConfig): Promise<InventoryRead<A>> {
    const running = this.inFlight.get(server.name);
    if (running) return running;
    const reading = (async () => {
      const inventory = await readServerInventory(this.pool, server, {
        ...(this.options.paths ? { paths: this.options.paths } : {}),
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      });
      const entry: InventoryRead<A> = { inventory, analysis: this.options.analyse(inventory, server), readAt: new Date(inventory.readAt) };
      this.cache.set(server.name, entry);
      return entry;
    })();
    this.inFlight.set(server.name, reading);
    try {
      return await reading;
    } finally {
      this.inFlight.delete(server.name);
    }
  }

  /** The cached read when it is younger than maxAgeMs, otherwise a fresh one. */
  async get(server: ServerConfig, maxAgeMs = 0): Promise<InventoryRead<A>> {
    const cached = this.cache.get(server.name);
    if (cached && Date.now() - cached.readAt.getTime() <= maxAgeMs) return cached;
    return this.refresh(server);
  }

  /** The last read of a server, however old, without touching it. */
  cached(serverName: string): InventoryRead<A> | undefined {
    return this.cache.get(serverName);
  }

  /** Forget a server's read (after a change was applied to it, for instance). */
  invalidate(serverName: string): void {
    this.cache.delete(serverName);
  }
}
