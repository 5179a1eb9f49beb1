/**
 * The one job runner, for the CLI and the web alike. Every change is a durable job in the store with
 * the same states, events and recovery: a single-domain apply, set or rollback is a job of one domain
 * whose plan and checkpoint are stored (in the bulk plan's shape) before its first byte is written, so
 * a process killed mid-change leaves a job that `jobs` shows as interrupted and that `job resume` or
 * `job rollback` finishes through the same code as an interrupted bulk job.
 */
import type { ServerConfig } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { type EventSink, stepEvent } from '../events.js';
import type { JobRecord, JobsRepository } from '../store/jobs.js';
import type { JournalRepository } from '../store/journal.js';
import { GOOD_DOMAIN_STATES } from '../store/states.js';
import type { BulkPlan, BulkRequest, DomainState, RunnerMark } from './bulk-model.js';
import { type BulkRunner, type DomainReadback, runnerIsGone } from './bulk-runner.js';
import type { ChangeRequest, ChangeResult, ChangeService } from './change-service.js';
import type { JobEventBus } from './event-bus.js';
import { JobBook, runnerMark } from './job-book.js';
import { runnerOf } from './stored.js';

/** What one domain's job asks for: the profile, plain edits, or a rollback (to a checkpoint, default the newest). */
export type SingleRequest = ChangeRequest | { kind: 'rollback'; to?: string };

/** A single-domain job's request as the store keeps it. */
export interface StoredSingleRequest {
  server: string;
  domain: string;
  request: SingleRequest;
  verify?: boolean;
  runner: RunnerMark;
}

/** Kinds of the single-domain jobs (bulk jobs are `bulk`). */
export const SINGLE_KINDS: ReadonlySet<string> = new Set(['apply', 'set', 'rollback']);

/** The last event of every job: pages stop waiting when they see it. */
export const JOB_END_STEP = 'job';

export interface JobRunnerDeps {
  changes: ChangeService;
  bulk: BulkRunner;
  jobs: JobsRepository;
  journal: JournalRepository;
  bus: JobEventBus;
}

export interface SingleJobOptions {
  verify?: boolean;
  /** Live steps for the caller (the CLI prints them); the job's bus gets them too. */
  events?: EventSink;
  /** Runs before the closing event; what it returns goes into that event's data (the web reads the new verdict). */
  beforeEnd?: (result: ChangeResult | null) => Promise<Record<string, unknown>>;
  /** The digest of the plan the user confirmed; the change is refused if its plan turns out different. */
  expectPlan?: string;
}

function domainStateOf(result: ChangeResult | null): DomainState {
  switch (result?.status) {
    case 'verified':
    case 'applied':
    case 'nothing-to-do':
    case 'refused':
    case 'rolled-back':
    case 'rollback-failed':
      return result.status;
    default:
      return 'failed';
  }
}

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  /**
   * Starts one domain's change as a job and returns its id at once; `done` settles with the result when
   * the job ended (it never rejects: a thrown error ends the job as failed and comes back as null).
   */
  startChange(
    server: ServerConfig,
    domain: string,
    request: SingleRequest,
    actor: string,
    opts: SingleJobOptions = {},
  ): { jobId: string; done: Promise<ChangeResult | null> } {
    const stored: StoredSingleRequest = {
      server: server.name,
      domain,
      request,
      ...(opts.verify === false ? { verify: false } : {}),
      runner: runnerMark(),
    };
    const kind = request.kind === 'profile' ? 'apply' : request.kind;
    const job = this.deps.jobs.create({ kind, actor, request: stored, status: 'running' });
    const book = new JobBook(job.id, this.deps);
    book.emit(
      stepEvent(JOB_END_STEP, 'start', `Started by ${actor}: ${describeRequest(request)} on ${domain}`, { domain, server: server.name }),
    );
    book.setState(server.name, domain, 'planned', describeRequest(request));
    const done = this.runChange(book, server, domain, stored, actor, opts);
    return { jobId: job.id, done };
  }

  private async runChange(
    book: JobBook,
    server: ServerConfig,
    domain: string,
    stored: StoredSingleRequest,
    actor: string,
    opts: SingleJobOptions,
  ): Promise<ChangeResult | null> {
    // The change service journals each step under its change; the bus carries them live to the job's watchers.
    const events: EventSink = (e) => {
      this.deps.bus.publish({ ...e, jobId: book.jobId });
      opts.events?.(e);
    };
    const changeOptions = {
      actor,
      jobId: book.jobId,
      events,
      ...(stored.verify === false ? { verify: false } : {}),
      ...(opts.expectPlan ? { expectPlan: opts.expectPlan } : {}),
      onCheckpointed: (record: BulkPlan['servers'][number]['domains'][number]) => {
        const plan: BulkPlan = { servers: [{ server: server.name, domains: [record], skipped: [] }] };
        this.deps.jobs.update(book.jobId, { plan });
        book.setState(server.name, domain, 'writing', `checkpoint ${record.checkpointId}`, record.changeId);
      },
    };
    let result: ChangeResult | null = null;
    let failure: string | null = null;
    try {
      const request = stored.request;
      result =
        request.kind === 'rollback'
          ? await this.deps.changes.rollback(server, domain, { ...changeOptions, ...(request.to ? { to: request.to } : {}) })
          : await this.deps.changes.apply(server, domain, request, changeOptions);
    } catch (err) {
      failure = errorMessage(err);
    }
    const state = domainStateOf(result);
    const ok = result !== null && GOOD_DOMAIN_STATES.has(result.status);
    const message = (failure ?? result?.message ?? '').slice(0, 500);
    book.setState(server.name, domain, state, message, result?.changeId);
    this.deps.jobs.update(book.jobId, {
      status: ok ? 'succeeded' : 'failed',
      summary: { status: result?.status ?? 'failed', message },
      endedAt: new Date().toISOString(),
    });
    let extra: Record<string, unknown> = {};
    try {
      extra = (await opts.beforeEnd?.(result)) ?? {};
    } catch {
      extra = {};
    }
    const text = ok ? endMessage(state) : `Ended: ${result?.status ?? 'failed'}${message ? ` (${message})` : ''}`;
    book.emit(
      stepEvent(JOB_END_STEP, ok ? 'ok' : 'fail', text, {
        domain,
        server: server.name,
        data: { result: result?.status ?? 'failed', ...extra },
      }),
    );
    return result;
  }

  /** A bulk job: plans, runs and returns the finished job. */
  startBulk(request: BulkRequest, actor: string, onCreated?: (jobId: string) => void): Promise<JobRecord> {
    return this.deps.bulk.start(request, actor, onCreated);
  }

  /**
   * Marks every job whose runner process died as interrupted (any kind). A single-domain job stored
   * before runner marks existed ran inside a panel process that is gone by now.
   */
  reconcileInterrupted(): JobRecord[] {
    const out = this.deps.bulk.reconcileInterrupted();
    for (const job of this.deps.jobs.list({ status: 'running', limit: 1000 })) {
      if (!SINGLE_KINDS.has(job.kind)) continue;
      const marked = runnerOf(job) !== undefined;
      if (marked && !runnerIsGone(job)) continue;
      out.push(this.deps.jobs.update(job.id, { status: 'interrupted', endedAt: new Date().toISOString() }));
      const hint = job.plan ? 'resume it or roll it back (`job resume|rollback <id>`)' : 'nothing was written before it stopped';
      new JobBook(job.id, this.deps).emit(stepEvent(JOB_END_STEP, 'fail', `Interrupted: the process running this job stopped; ${hint}.`));
    }
    return out;
  }

  resume(jobId: string, actor: string): Promise<JobRecord> {
    this.reconcileInterrupted();
    return this.deps.bulk.resume(jobId, actor);
  }

  rollback(jobId: string, actor: string): Promise<JobRecord> {
    this.reconcileInterrupted();
    return this.deps.bulk.rollback(jobId, actor);
  }

  readback(jobId: string): Promise<DomainReadback[]> {
    return this.deps.bulk.readback(jobId);
  }

  domainRows(jobId: string): ReturnType<BulkRunner['domainRows']> {
    return this.deps.bulk.domainRows(jobId);
  }
}

export function describeRequest(request: SingleRequest): string {
  switch (request.kind) {
    case 'profile':
      return `profile ${request.profile}`;
    case 'set':
      return `set ${request.settings.map((s) => `${s.key}=${s.value === null ? '(remove)' : String(s.value)}`).join(' ')}`;
    case 'rollback':
      return request.to ? `rollback to ${request.to}` : 'rollback of the last change';
  }
}

function endMessage(state: DomainState): string {
  switch (state) {
    case 'verified':
      return 'Verified: the change is live and the probe passed';
    case 'nothing-to-do':
      return 'Nothing to do: the domain already has these settings';
    case 'applied':
      return 'Applied (not verified)';
    default:
      return `Ended: ${state}`;
  }
}
