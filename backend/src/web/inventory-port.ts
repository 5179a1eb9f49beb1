import type { ServerConfig } from '../config/types.js';
import type { DomainDiagnosis, ServerDiagnosis } from '../diagnose/diagnose.js';
import { errorMessage } from '../errors.js';
import type { InventoryRead, InventoryService } from '../plesk/inventory-service.js';
import type { DomainInventory } from '../plesk/inventory.js';
import type { DomainOverview, InventoryPort, ServerOverview } from './services.js';

export interface InventoryPortOptions {
  servers: { list(): ServerConfig[] };
  inventory: InventoryService<ServerDiagnosis>;
  /** A page view reuses a read younger than this instead of going to the server again. Default 60 s. */
  maxAgeMs?: number;
}

/**
 * Feeds the overview from the inventory service: one cached read per server (each is one SSH exec),
 * servers read in parallel, and a server that cannot be read shows its error and its last known domains.
 */
export function inventoryPort(options: InventoryPortOptions): InventoryPort {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const summarise = async (server: ServerConfig, fresh: boolean): Promise<ServerOverview> => {
    try {
      const read = fresh ? await options.inventory.refresh(server) : await options.inventory.get(server, maxAgeMs);
      return overviewOf(server.name, read);
    } catch (err) {
      const last = options.inventory.cached(server.name);
      return { ...(last ? overviewOf(server.name, last) : { server: server.name, readAt: null, domains: [] }), error: errorMessage(err) };
    }
  };
  return {
    overview: () => Promise.all(options.servers.list().map((server) => summarise(server, false))),
    refresh: async () => {
      await Promise.all(options.servers.list().map((server) => summarise(server, true)));
    },
    servers: () => options.servers.list().map((server) => server.name),
  };
}

export function overviewOf(server: string, read: InventoryRead<ServerDiagnosis>): ServerOverview {
  const diagnoses = new Map(read.analysis.domains.map((d) => [d.domain, d]));
  return {
    server,
    readAt: read.readAt.toISOString(),
    domains: read.inventory.domains.map((domain) => domainOverview(domain, diagnoses.get(domain.name))),
  };
}

function domainOverview(domain: DomainInventory, diagnosis: DomainDiagnosis | undefined): DomainOverview {
  const headline = diagnosis?.findings.find((f) => f.severity !== 'info') ?? null;
  return {
    name: domain.name,
    verdict: diagnosis?.verdict ?? 'unknown',
    mainFinding: headline?.title ?? null,
    processCount: domain.processes.length,
    lastRestart: lastSpawn(domain),
  };
}

/** The newest process spawn: when the app (or one of its processes) last started. */
function lastSpawn(domain: DomainInventory): string | null {
  const times = domain.processes.map((p) => p.spawnEndTime ?? p.spawnStartTime).filter((t): t is number => typeof t === 'number' && t > 0);
  return times.length === 0 ? null : new Date(Math.max(...times) / 1000).toISOString();
}
