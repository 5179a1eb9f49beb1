/**
 * Bulk jobs: one profile over many domains on many servers. Planning is bulk-plan.ts, each server's
 * batches bulk-server.ts (through the one change engine); this module owns the job's life: start,
 * resume of an interrupted job from what its servers hold now, rollback of a whole job, readback.
 * Everything is durable: the plan, every step and each domain's state are in the store before the
 * server is touched, so a job whose process died can be read back and resumed or rolled back.
 */
import type { ServerConfig } from '../config/types.js';
import { PanelError, ValidationError, errorMessage } from '../errors.js';
import { stepEvent } from '../events.js';
import { Checkpoints, classifyAgainstPlan, readPlanFiles, shaMap } from '../apply/checkpoints.js';
import type { JobRecord, JobStatus, JobsRepository } from '../store/jobs.js';
import type { JournalRepository } from '../store/journal.js';
import {
  type BulkPlan,
  type BulkRequest,
  type BulkSummary,
  CHANGE_JOB_KINDS,
  type ServerCounters,
  type StoredBulkRequest,
} from './bulk-model.js';
import { BULK_DEFAULTS, describeSelection, planBulk, validateBulkRequest } from './bulk-plan.js';
import { ServerRun, type ServerRunDeps, runServerPlan } from './bulk-server.js';
import { mapLimit } from './concurrency.js';
import type { JobEventBus } from './event-bus.js';
import { JobBook, domainKey, newCounters, runnerMark } from './job-book.js';
import type { ChangeDeps } from './ports.js';
import { pidAlive } from './stale-locks.js';
import { type RunOptions, runOptionsOf, runnerOf, storedPlan } from './stored.js';
import { hostname } from 'node:os';

export { describeSelection } from './bulk-plan.js';

export interface BulkDeps extends ChangeDeps {
  jobs: JobsRepository;
  journal: JournalRepository;
  bus: JobEventBus;
  /** Every server a job may touch, by name. */
  servers: { list(): ServerConfig[]; get(name: string): ServerConfig };
}

export class JobNotResumableError extends PanelError {
  constructor(message: string, hint: string) {
    super('job_not_resumable', message, { hint });
  }
}

/** Live file state of one domain of a job, read back from its server. */
export interface DomainReadback {
  server: string;
  domain: string;
  recorded: string;
  live: 'before' | 'after' | 'partial' | 'foreign' | 'unreachable' | 'no-files';
}

/** True when the job says running but the process that ran it is gone (same machine only). */
export function runnerIsGone(job: JobRecord): boolean {
  if (job.status !== 'running' && job.status !== 'queued') return false;
  // A resumed job's runner is in its summary (the request is written once); the first runner in the request.
  const runner = runnerOf(job);
  if (!runner) return false;
  return runner.host === hostname() && !pidAlive(runner.pid);
}

export class BulkRunner {
  private readonly engineDeps: ServerRunDeps;

  constructor(private readonly deps: BulkDeps) {
    this.engineDeps = { ...deps, checkpoints: new Checkpoints(deps.journal) };
  }

  private book(jobId: string): JobBook {
    return new JobBook(jobId, this.deps);
  }

  /** Marks jobs whose runner process died as interrupted; returns them. Safe to call from any process. */
  reconcileInterrupted(): JobRecord[] {
    const out: JobRecord[] = [];
    for (const job of [...this.deps.jobs.list({ status: 'running' }), ...this.deps.jobs.list({ status: 'queued' })]) {
      if (job.kind !== 'bulk' || !runnerIsGone(job)) continue;
      out.push(this.deps.jobs.update(job.id, { status: 'interrupted' }));
      const pid = runnerOf(job)?.pid;
      this.book(job.id).emit(
        stepEvent('job', 'info', `Job ${job.id} was running in a process that is gone (pid ${pid}): interrupted. Resume or roll it back.`),
      );
    }
    return out;
  }

  /** Plans (and unless dry-run, runs) a bulk job. Returns the finished job. */
  async start(request: BulkRequest, actor: string, onCreated?: (jobId: string) => void): Promise<JobRecord> {
    validateBulkRequest(request);
    const stored: StoredBulkRequest = { ...request, runner: runnerMark() };
    const job = this.deps.jobs.create({ kind: 'bulk', actor, request: stored, status: 'running' });
    onCreated?.(job.id);
    const started = Date.now();
    const book = this.book(job.id);
    book.emit(stepEvent('job', 'start', `Bulk ${request.profile} (${describeSelection(request)})${request.dryRun ? ', dry run' : ''}`));
    const plan = await planBulk(this.deps, book, request);
    this.deps.jobs.update(job.id, { plan });
    for (const s of plan.servers) {
      for (const d of s.domains) book.setState(s.server, d.domain, 'planned', d.plan.summary);
      for (const k of s.skipped) book.setState(s.server, k.domain, k.state, k.message);
    }
    if (request.dryRun) {
      const summary = this.summarise(book, [], started);
      const n = plan.servers.reduce((sum, s) => sum + s.domains.length, 0);
      book.emit(stepEvent('job', 'ok', `Dry run: ${n} domain(s) would change; nothing written`));
      return this.deps.jobs.update(job.id, {
        status: 'succeeded',
        summary: { ...summary, dryRun: true },
        endedAt: new Date().toISOString(),
      });
    }
    return this.execute(book, plan, stored, actor, started);
  }

  /** Resumes an interrupted job: reads each domain's files back and carries on from where they are. */
  async resume(jobId: string, actor: string): Promise<JobRecord> {
    const { job, plan } = this.interruptedJob(jobId);
    this.deps.jobs.update(jobId, { status: 'running', summary: { runner: runnerMark() } });
    const book = this.book(jobId);
    book.emit(stepEvent('job', 'start', `Resuming job ${jobId} (by ${actor})`));
    return this.execute(book, plan, runOptionsOf(job), actor, Date.now());
  }

  /** Rolls every changed domain of an interrupted or finished job back to its checkpoint, batched per server. */
  async rollback(jobId: string, actor: string): Promise<JobRecord> {
    const job = this.bulkJob(jobId);
    if (job.status === 'running' && !runnerIsGone(job)) {
      throw new JobNotResumableError(
        `Job ${jobId} is still running (pid ${runnerOf(job)?.pid}).`,
        'wait for it to finish, or stop that process first',
      );
    }
    const request = runOptionsOf(job);
    this.deps.jobs.update(jobId, { status: 'running', summary: { runner: runnerMark() } });
    const started = Date.now();
    const book = this.book(jobId);
    book.emit(stepEvent('job', 'start', `Rolling back job ${jobId} (by ${actor})`));
    const plan = storedPlan(job);
    if (!plan)
      throw new JobNotResumableError(`Job ${jobId} stopped before its plan was stored.`, 'nothing was written; nothing to roll back');
    const states = book.states();
    const counters = await mapLimit(plan.servers, request.serverConcurrency ?? BULK_DEFAULTS.serverConcurrency, async (sp) => {
      const t0 = Date.now();
      const done = ['rolled-back', 'refused', 'nothing-to-do'];
      const candidates = sp.domains.filter((d) => d.checkpointId && !done.includes(states.get(domainKey(sp.server, d.domain)) ?? ''));
      if (candidates.length === 0) return newCounters(sp.server);
      let run: ServerRun | undefined;
      try {
        const server = this.deps.servers.get(sp.server);
        run = new ServerRun(this.engineDeps, { book, plan, request, actor, server }, await this.deps.ports.ops(server));
        await run.rollback(
          candidates,
          candidates.map(() => true),
        );
        return { ...run.counters, wallMs: Date.now() - t0 };
      } catch (err) {
        const c: ServerCounters = { ...(run?.counters ?? newCounters(sp.server)), error: errorMessage(err), wallMs: Date.now() - t0 };
        const now = book.states();
        for (const d of candidates) {
          if (now.get(domainKey(sp.server, d.domain)) !== 'rolled-back')
            book.setState(sp.server, d.domain, 'rollback-failed', `server error during rollback: ${c.error}`);
        }
        return c;
      }
    });
    const summary = this.summarise(book, counters, started);
    const failed = (summary.counts['rollback-failed'] ?? 0) > 0;
    book.emit(
      stepEvent(
        'job',
        failed ? 'fail' : 'ok',
        failed ? 'Rollback finished with failures' : 'Every changed domain is back to its checkpoint',
      ),
    );
    return this.deps.jobs.update(jobId, {
      status: failed ? 'failed' : 'cancelled',
      summary: { ...summary, rolledBack: true },
      endedAt: new Date().toISOString(),
    });
  }

  /** Reads each domain's files back from its server and compares them with the plan. */
  async readback(jobId: string): Promise<DomainReadback[]> {
    const job = this.bulkJob(jobId);
    const plan = storedPlan(job);
    if (!plan) return [];
    const states = this.book(jobId).states();
    const out: DomainReadback[] = [];
    await Promise.all(
      plan.servers.map(async (sp) => {
        let sha: Map<string, string> | undefined;
        try {
          const ops = await this.deps.ports.ops(this.deps.servers.get(sp.server));
          sha = shaMap(
            await readPlanFiles(
              ops,
              sp.domains.map((d) => d.plan),
            ),
          );
        } catch {
          sha = undefined;
        }
        for (const d of sp.domains) {
          out.push({
            server: sp.server,
            domain: d.domain,
            recorded: states.get(domainKey(sp.server, d.domain)) ?? 'unknown',
            live: !sha ? 'unreachable' : d.plan.files.length === 0 ? 'no-files' : classifyAgainstPlan(d.plan, sha, d.written),
          });
        }
      }),
    );
    return out.sort((a, b) => a.server.localeCompare(b.server) || a.domain.localeCompare(b.domain));
  }

  /** Each domain's recorded state, for tables. */
  domainRows(jobId: string): Array<{ server: string; domain: string; state: string; message?: string | undefined }> {
    return this.deps.jobs.domainStates(jobId).map((s) => ({ server: s.server, domain: s.domain, state: s.state, message: s.message }));
  }

  private async execute(book: JobBook, plan: BulkPlan, request: RunOptions, actor: string, started: number): Promise<JobRecord> {
    const counters = await mapLimit(plan.servers, request.serverConcurrency ?? BULK_DEFAULTS.serverConcurrency, (sp) =>
      runServerPlan(this.engineDeps, { book, plan, request, actor }, sp, (name) => this.deps.servers.get(name)),
    );
    const summary = this.summarise(book, counters, started);
    const status = finalStatus(summary.counts, plan);
    book.emit(
      stepEvent('job', status === 'succeeded' ? 'ok' : 'fail', `Job ${status}: ${describeCounts(summary.counts)}`, { data: summary }),
    );
    return this.deps.jobs.update(book.jobId, { status, summary, endedAt: new Date().toISOString() });
  }

  /** A job that changes domains: a bulk job, or a single-domain one (a job of one, stored in the same shape). */
  private bulkJob(jobId: string): JobRecord {
    const job = this.deps.jobs.get(jobId);
    if (!job || !CHANGE_JOB_KINDS.has(job.kind))
      throw new ValidationError(`No change job ${jobId.slice(0, 60)}.`, { hint: 'list jobs with `passenger-panel jobs`' });
    return job;
  }

  private interruptedJob(jobId: string): { job: JobRecord; plan: BulkPlan } {
    this.reconcileInterrupted();
    const job = this.bulkJob(jobId);
    if (job.status !== 'interrupted') {
      throw new JobNotResumableError(
        `Job ${jobId} is ${job.status}, not interrupted.`,
        job.status === 'running'
          ? 'it is still running in another process'
          : 'only an interrupted job can be resumed; roll it back instead if needed',
      );
    }
    const plan = storedPlan(job);
    if (!plan) throw new JobNotResumableError(`Job ${jobId} stopped before its plan was stored.`, 'nothing was written; start a new job');
    return { job, plan };
  }

  private summarise(book: JobBook, servers: ServerCounters[], started: number): BulkSummary {
    return { counts: book.counts(), servers, wallMs: Date.now() - started };
  }
}

export function describeCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .sort()
      .map(([s, n]) => `${n} ${s}`)
      .join(', ') || 'no domains'
  );
}

function finalStatus(counts: Record<string, number>, plan: BulkPlan): JobStatus {
  const n = (s: string) => counts[s] ?? 0;
  const bad = n('failed') + n('rolled-back') + n('rollback-failed') + n('conflict') + n('refused') + n('cancelled');
  const good = n('verified') + n('applied') + n('nothing-to-do');
  if (bad === 0 && !plan.servers.some((s) => s.error)) return 'succeeded';
  if (good === 0) return 'failed';
  return 'partial';
}
