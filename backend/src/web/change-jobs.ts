import type { ServerEntry } from '../config/types.js';
import type { ServerDiagnosis } from '../diagnose/diagnose.js';
import { ValidationError } from '../errors.js';
import type { ChangeService } from '../jobs/change-service.js';
import type { JobEvent, JobEventBus } from '../jobs/event-bus.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { InventoryService } from '../plesk/inventory-service.js';
import type { JobRecord, Store } from '../store/index.js';
import type { DomainDetail, DomainHistoryEntry, DomainPort, JobView, JobsPort } from './services.js';
import type { JobScope } from './users.js';

export interface ChangeJobsOptions {
  servers: { list(): ServerEntry[] };
  inventory: InventoryService<ServerDiagnosis>;
  /** Plans (previews) only; changes run as jobs through the runner. */
  changes: ChangeService;
  runner: JobRunner;
  store: Pick<Store, 'jobs' | 'journal'>;
  events: JobEventBus;
  /** A page view reuses a read younger than this. Default 60 s. */
  maxAgeMs?: number;
  /** Called when a job's background work throws past its own handling (should not happen). */
  onError?: (message: string, err: unknown) => void;
}

export { JOB_END_STEP } from '../jobs/job-runner.js';

/**
 * The domain pages' side of the job runner (jobs/job-runner.ts): finds the server hosting a domain,
 * starts its change as a job whose closing `job` event carries the verdict once the inventory was read
 * again (so a page reloading the domain sees it), and answers the job pages (scope, history, per-domain
 * state) for every job kept in the store.
 */
export function changeJobs(options: ChangeJobsOptions): { domains: DomainPort; jobs: JobsPort } {
  const { store, events, changes, inventory } = options;
  const maxAgeMs = options.maxAgeMs ?? 60_000;

  // A job still "running" whose process is gone (an earlier panel, a killed CLI) is interrupted: say so.
  options.runner.reconcileInterrupted();

  /** The server hosting a domain (only `onServer` when given), from cached reads first, then fresh ones. */
  const locate = async (domain: string, onServer?: string): Promise<{ server: ServerEntry; detail: DomainDetail } | null> => {
    const name = domain.toLowerCase();
    for (const server of options.servers.list()) {
      if (onServer !== undefined && server.name !== onServer) continue;
      let read: Awaited<ReturnType<typeof inventory.get>>;
      try {
        read = await inventory.get(server, maxAgeMs);
      } catch {
        continue; // an unreachable server cannot be the one the user is looking at right now
      }
      const found = read.inventory.domains.find((d) => d.name === name);
      if (!found) continue;
      const diagnosis = read.analysis.domains.find((d) => d.domain === name) ?? { domain: name, verdict: 'safe' as const, findings: [] };
      return {
        server,
        detail: {
          server: server.name,
          readAt: read.readAt.toISOString(),
          domain: found,
          diagnosis,
          passengerVersion: read.inventory.passengerVersion,
        },
      };
    }
    return null;
  };

  const mustLocate = async (domain: string, onServer?: string) => {
    const found = await locate(domain, onServer);
    if (!found)
      throw new ValidationError(`No server of this panel hosts ${domain}.`, {
        field: 'domain',
        hint: 'refresh the overview; the domain may have been removed',
      });
    return found;
  };

  const domains: DomainPort = {
    detail: async (domain, onServer) => (await locate(domain, onServer))?.detail ?? null,

    plan: async (domain, request, onServer) => {
      const { server } = await mustLocate(domain, onServer);
      if (request.kind === 'rollback') {
        const to = request.to ? { to: request.to } : {};
        const result = await changes.rollback(server, domain, { actor: 'preview', dryRun: true, ...to });
        if (!result.plan) throw new ValidationError(result.message);
        return result.plan;
      }
      return changes.plan(server, domain, request);
    },

    start: async (domain, request, actor, opts = {}) => {
      const { server } = await mustLocate(domain, opts.onServer);
      const { jobId, done } = options.runner.startChange(server, domain, request, actor, {
        ...(opts.expectPlan ? { expectPlan: opts.expectPlan } : {}),
        // Read the server again so the verdict badge reflects the change before the page is told the job ended.
        beforeEnd: async () => {
          try {
            await inventory.refresh(server);
          } catch {
            inventory.invalidate(server.name);
          }
          return { verdict: (await locate(domain, server.name))?.detail.diagnosis.verdict ?? null };
        },
      });
      void done.catch((err: unknown) => options.onError?.(`job ${jobId} failed`, err));
      return { jobId };
    },

    history: async (domain, onServer) => {
      const found = await locate(domain, onServer);
      if (!found) return [];
      return store.journal.listChanges({ server: found.server.name, domain: found.detail.domain.name, limit: 20 }).map(
        (c): DomainHistoryEntry => ({
          id: c.id,
          kind: c.kind,
          actor: c.actor,
          status: c.status,
          verdict: c.verdict ?? null,
          createdAt: c.createdAt,
          checkpointId: c.checkpointId ?? null,
          jobId: c.jobId ?? null,
          diff: c.diff ?? null,
        }),
      );
    },

    newestCheckpoint: async (domain, onServer) => {
      const found = await locate(domain, onServer);
      if (!found) return null;
      return store.journal.listCheckpoints(found.server.name, found.detail.domain.name, 1)[0]?.id ?? null;
    },
  };

  const jobView = (job: JobRecord): JobView => ({
    id: job.id,
    kind: job.kind,
    status: job.status,
    actor: job.actor,
    createdAt: job.createdAt,
    endedAt: job.endedAt ?? null,
    domains: store.jobs
      .domainStates(job.id)
      .map((d) => ({ server: d.server, domain: d.domain, state: d.state, message: d.message ?? null })),
  });

  const jobs: JobsPort = {
    events,
    scope: (jobId): JobScope | undefined => {
      const job = store.jobs.get(jobId);
      if (!job) return undefined;
      const kind: JobScope['kind'] = job.kind === 'bulk' ? 'bulk' : job.kind === 'server' ? 'server' : 'single';
      const states = store.jobs.domainStates(jobId);
      const server = kind === 'single' ? states[0]?.server : undefined;
      return { id: job.id, kind, domains: states.map((d) => d.domain), ...(server ? { server } : {}) };
    },
    history: (jobId): JobEvent[] => {
      const own = store.journal.events({ jobId });
      const ofChanges = store.journal.listChanges({ jobId, limit: 1000 }).flatMap((c) => store.journal.events({ changeId: c.id }));
      const seen = new Set<string>();
      return [...own, ...ofChanges]
        .sort((a, b) => a.id - b.id)
        .filter((e) => {
          // An automatic rollback journals its events under both changes; show each once.
          const key = `${e.at}|${e.step}|${e.status}|${e.domain ?? ''}|${e.message}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        })
        .map(({ id: _id, changeId: _c, jobId: _j, ...event }) => ({ ...event, jobId }));
    },
    describe: (jobId): JobView | undefined => {
      const job = store.jobs.get(jobId);
      return job ? jobView(job) : undefined;
    },
    recent: (limit) => store.jobs.list({ limit }).map(jobView),
  };

  return { domains, jobs };
}
