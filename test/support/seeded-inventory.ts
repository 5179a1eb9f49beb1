import type { ServerConfig } from '../../backend/src/config/types.js';
import { type ServerDiagnosis, diagnoseServer } from '../../backend/src/diagnose/diagnose.js';
import { type InventoryRead, InventoryService } from '../../backend/src/plesk/inventory-service.js';
import type { ServerInventory } from '../../backend/src/plesk/inventory.js';
import type { SessionPool } from '../../backend/src/ssh/pool.js';

/**
 * The real inventory service with its one remote read replaced by a captured inventory (always fresh):
 * for pages and forms that need a domain to exist, in tests where no server may be contacted.
 * Diagnosis runs for real on the captured inventory.
 */
export class SeededInventory extends InventoryService<ServerDiagnosis> {
  reads = 0;

  constructor(
    pool: SessionPool,
    private readonly inventory: () => ServerInventory,
  ) {
    super(pool, { analyse: (inv) => diagnoseServer(inv) });
  }

  override async refresh(_server: ServerConfig): Promise<InventoryRead<ServerDiagnosis>> {
    this.reads += 1;
    const inventory = this.inventory();
    return { inventory, analysis: diagnoseServer(inventory), readAt: new Date() };
  }

  override async get(server: ServerConfig): Promise<InventoryRead<ServerDiagnosis>> {
    return this.refresh(server);
  }
}
