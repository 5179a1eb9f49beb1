import type { ServerConfig } from '../config/types.js';
import type { DomainLocks } from '../apply/domain-lock.js';
import type { PublicEndpoint, VerifyOptions } from '../verify/verifier.js';
import type { ServerOps } from '../apply/server-ops.js';
import { sshServerOps } from '../apply/ssh-server-ops.js';
import { readServerInventory } from '../plesk/inventory-service.js';
import type { ServerInventory } from '../plesk/inventory.js';
import type { SessionPool } from '../ssh/pool.js';

/** How jobs reach servers: the engine's port and the inventory read. Unit tests script both. */
export interface ServerPorts {
  ops(server: ServerConfig): Promise<ServerOps>;
  inventory(server: ServerConfig): Promise<ServerInventory>;
}

/** The real ports over the shared SSH session pool. */
export function sshPorts(pool: SessionPool): ServerPorts {
  return {
    ops: async (server) => sshServerOps(await pool.get(server)),
    inventory: (server) => readServerInventory(pool, server),
  };
}

/** What every change job needs besides the store: the servers, the locks, and how to verify. */
export interface ChangeDeps {
  ports: ServerPorts;
  locks: DomainLocks;
  /** How the server's public front end is reached, for the live probe. */
  endpointFor: (server: ServerConfig) => PublicEndpoint;
  /** Defaults for every verification (e.g. a shorter watch window in tests). */
  verifyDefaults?: Omit<VerifyOptions, 'events' | 'scheme'>;
  /** Bound of the wait for a new Passenger instance after a reload (default 120 s). */
  instanceTimeoutMs?: number;
  /** Bound of one whole verification (default VERIFY_DEADLINE_MS); past it the change counts as failed. */
  verifyDeadlineMs?: number;
}
