import type { ServerEntry } from '../config/types.js';
import type { ServerDiagnosis } from '../diagnose/diagnose.js';
import { ValidationError, errorMessage } from '../errors.js';
import { stepEvent, type StepEvent } from '../events.js';
import type { ChangeResult, ChangeService } from '../jobs/change-service.js';
import type { JobEvent, JobEventBus } from '../jobs/event-bus.js';
import type { InventoryService } from '../plesk/inventory-service.js';
import type { JobRecord, JobStatus, Store } from '../store/index.js';
import type { DomainDetail, DomainHistoryEntry, DomainPort, DomainRequest, JobView, JobsPort } from './services.js';
import type { JobScope } from './users.js';

export interface ChangeJobsOptions {
  servers: { list(): ServerEntry[] };
  inventory: InventoryService<ServerDiagnosis>;
  changes: ChangeService;
  store: Pick<Store, 'jobs' | 'journal'>;
  events: JobEventBus;
  /** A page view reuses a read younger than this. Default 60 s. */
  maxAgeMs?: number;
  /** Called when a job's background work throws past its own handling (should not happen). */
  onError?: (message: string, err: unknown) => void;
}

/** The last event of every job this module runs: pages stop waiting when they see it. */
export const JOB_END_STEP = 'job';

/** Job kinds this module creates (bulk jobs belong to the bulk runner). */
const SINGLE_KINDS = new Set(['apply', 'set', 'rollback']);

/**
 * Runs one domain's change (profile, edits or rollback) as a job: a job row in the store, every step
 * published on the event bus as it happens and kept in the journal, and a closing `job` event that
 * carries the result once the inventory was read again, so a page reloading the domain sees the new verdict.
 * Also answers the job pages (scope, history, per-domain state) for every job kept in the store.
 */
export function changeJobs(options: ChangeJobsOptions): { domains: DomainPort; jobs: JobsPort } {
  const { store, events, changes, inventory } = options;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const running = new Set<Promise<void>>();

  // Single-domain jobs run inside the panel process; one still "running" from an earlier process was cut
  // off when that process stopped. Say so (the domain's lock and checkpoint tell what happened to its files).
  for (const job of store.jobs.list({ status: 'running', limit: 1000 })) {
    if (!SINGLE_KINDS.has(job.kind)) continue;
    store.jobs.update(job.id, { status: 'interrupted', endedAt: new Date().toISOString() });
    const event = stepEvent(
      JOB_END_STEP,
      'fail',
      'Interrupted: the panel stopped while this job ran. Check the domain page and roll back if its change is incomplete.',
    );
    store.journal.addEvent({ jobId: job.id }, event);
  }

  /** The server hosting a domain, from cached reads first, then fresh ones. */
  const locate = async (domain: string): Promise<{ server: ServerEntry; detail: DomainDetail } | null> => {
    const name = domain.toLowerCase();
    for (const server of options.servers.list()) {
      let read;
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

  const mustLocate = async (domain: string) => {
    const found = await locate(domain);
    if (!found)
      throw new ValidationError(`No server of this panel hosts ${domain}.`, {
        field: 'domain',
        hint: 'refresh the overview; the domain may have been removed',
      });
    return found;
  };

  const publish = (jobId: string, event: StepEvent, keep: boolean): void => {
    if (keep) store.journal.addEvent({ jobId }, event);
    events.publish({ ...event, jobId });
  };

  const run = async (jobId: string, server: ServerEntry, domain: string, request: DomainRequest, actor: string): Promise<void> => {
    const sink = (event: StepEvent): void => publish(jobId, event, false); // the change service journals these itself
    let result: ChangeResult | null = null;
    let failure: string | null = null;
    try {
      result =
        request.kind === 'rollback'
          ? await changes.rollback(server, domain, { actor, jobId, events: sink })
          : await changes.apply(server, domain, request, { actor, jobId, events: sink });
    } catch (err) {
      failure = errorMessage(err);
    }
    const status = result?.status ?? 'failed';
    const ok = result !== null && result.exitCode === 0;
    const jobStatus: JobStatus = ok ? 'succeeded' : 'failed';
    store.jobs.setDomainState(jobId, server.name, domain, status, {
      ...(result?.changeId ? { changeId: result.changeId } : {}),
      message: (failure ?? result?.message ?? '').slice(0, 500),
    });
    store.jobs.update(jobId, {
      status: jobStatus,
      summary: { status, message: failure ?? result?.message ?? null },
      endedAt: new Date().toISOString(),
    });
    // Read the server again so the verdict badge reflects the change before the page is told the job ended.
    try {
      await inventory.refresh(server);
    } catch {
      inventory.invalidate(server.name);
    }
    const verdict = (await locate(domain))?.detail.diagnosis.verdict ?? null;
    publish(
      jobId,
      stepEvent(
        JOB_END_STEP,
        ok ? 'ok' : 'fail',
        ok ? endMessage(status) : `Ended: ${status}${failure ? ` (${failure})` : result?.message ? ` (${result.message})` : ''}`,
        {
          domain,
          server: server.name,
          data: { result: status, verdict },
        },
      ),
      true,
    );
  };

  const domains: DomainPort = {
    detail: async (domain) => (await locate(domain))?.detail ?? null,

    plan: async (domain, request) => {
      const { server } = await mustLocate(domain);
      if (request.kind === 'rollback') {
        const result = await changes.rollback(server, domain, { actor: 'preview', dryRun: true });
        if (!result.plan) throw new ValidationError(result.message);
        return result.plan;
      }
      return changes.plan(server, domain, request);
    },

    start: async (domain, request, actor) => {
      const { server } = await mustLocate(domain);
      const job = store.jobs.create({
        kind: request.kind === 'profile' ? 'apply' : request.kind,
        actor,
        request: { server: server.name, domain, request },
        status: 'running',
      });
      store.jobs.setDomainState(job.id, server.name, domain, 'running');
      publish(
        job.id,
        stepEvent(JOB_END_STEP, 'start', `Started by ${actor}: ${describeRequest(request)} on ${domain}`, { domain, server: server.name }),
        true,
      );
      const work = run(job.id, server, domain, request, actor).catch((err: unknown) => options.onError?.(`job ${job.id} failed`, err));
      running.add(work);
      void work.finally(() => running.delete(work));
      return { jobId: job.id };
    },

    history: async (domain) => {
      const found = await locate(domain);
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
      return { id: job.id, kind, domains: store.jobs.domainStates(jobId).map((d) => d.domain) };
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

function describeRequest(request: DomainRequest): string {
  switch (request.kind) {
    case 'profile':
      return `profile ${request.profile}`;
    case 'set':
      return `set ${request.settings.map((s) => `${s.key}=${s.value === null ? '(remove)' : String(s.value)}`).join(' ')}`;
    case 'rollback':
      return 'rollback of the last change';
  }
}

function endMessage(status: string): string {
  switch (status) {
    case 'verified':
      return 'Verified: the change is live and the probe passed';
    case 'nothing-to-do':
      return 'Nothing to do: the domain already has these settings';
    case 'applied':
      return 'Applied (not verified)';
    default:
      return `Ended: ${status}`;
  }
}
