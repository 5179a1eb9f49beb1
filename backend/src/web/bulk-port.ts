import { errorMessage } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { InventoryService } from '../plesk/inventory-service.js';
import type { BulkPort } from './services.js';

export interface BulkPortOptions {
  runner: Pick<JobRunner, 'startBulk'>;
  /** Servers whose reads are dropped when a bulk job ends, so the overview shows the new verdicts. */
  inventory?: Pick<InventoryService<unknown>, 'invalidate'>;
  onError?: (message: string, err: unknown) => void;
}

/**
 * The overview's bulk action: the same bulk job as `passenger-panel bulk`, started in the background.
 * Resolves with the job id as soon as the runner created the job (the page then follows it live).
 */
export function bulkPort(options: BulkPortOptions): BulkPort {
  return {
    start: (selection, profile, actor) =>
      new Promise((resolve, reject) => {
        const servers = [...new Set(selection.map((s) => s.server))];
        let created = false;
        options.runner
          .startBulk(
            {
              profile: profile as 'socketio-safe',
              selection: { kind: 'list', domains: [...new Set(selection.map((s) => s.domain))] },
              servers,
            },
            actor,
            (jobId) => {
              created = true;
              resolve({ jobId });
            },
          )
          .then(
            () => {
              for (const s of servers) options.inventory?.invalidate(s);
            },
            (err: unknown) => {
              // Refused before the job existed (bad request): the form shows the reason; later failures are in the job.
              if (!created) reject(err);
              else options.onError?.(`bulk job failed: ${errorMessage(err)}`, err);
            },
          );
      }),
  };
}
