/**
 * Bulk jobs: one profile over many domains on many servers. Per server one batch: a checkpoint set,
 * all writes, one config test, at most one reload (none when every change is .htaccess-level), then a
 * live verification of each domain (bounded), and a rollback of only the domains that failed, itself
 * batched and verified. Servers run in parallel with their own bound. Everything is durable: the plan,
 * every step, and each domain's state are in the store before the server is touched, so a job whose
 * process died can be read back from the servers and resumed or rolled back.
 */
import { hostname } from 'node:os';
import type { ServerConfig } from '../config/types.js';
import { PanelError, ValidationError, errorMessage } from '../errors.js';
import { type StepEvent, stepEvent } from '../events.js';
import type { DomainLocks } from '../apply/domain-lock.js';
import type { CheckpointFileCopy } from '../apply/executor.js';
import { ABSENT, decodeExact } from '../apply/remote-files.js';
import {
  bringUpBatch,
  checkpointBatch,
  classifyAgainstPlan,
  planBatch,
  readPlanHashes,
  restoreBatch,
  writeBatch,
  type BringUpResult,
} from '../apply/server-batch.js';
import { diagnoseServer } from '../diagnose/diagnose.js';
import { readServerInventory } from '../plesk/inventory-service.js';
import type { ServerInventory } from '../plesk/inventory.js';
import { socketioSafeProfile, SOCKETIO_SAFE } from '../profile/socketio-safe.js';
import type { SessionPool } from '../ssh/pool.js';
import type { SshSession } from '../ssh/session.js';
import type { JobRecord, JobStatus, JobsRepository } from '../store/jobs.js';
import type { JournalRepository } from '../store/journal.js';
import { type PublicEndpoint, type VerifyOptions, type VerificationReport, verifyDomain } from '../verify/verifier.js';
import { planForJournal } from './change-service.js';
import { mapLimit } from './concurrency.js';
import { pidAlive } from './stale-locks.js';
import type { JobEventBus } from './event-bus.js';
import {
  type BulkDomainPlan,
  type BulkPlan,
  type BulkRequest,
  type BulkServerPlan,
  type BulkSummary,
  type DomainState,
  type RunnerMark,
  type ServerCounters,
  type StoredBulkRequest,
  TERMINAL_STATES,
} from './bulk-model.js';

export interface BulkDeps {
  pool: SessionPool;
  jobs: JobsRepository;
  journal: JournalRepository;
  bus: JobEventBus;
  locks: DomainLocks;
  /** Every server a job may touch, by name. */
  servers: { list(): ServerConfig[]; get(name: string): ServerConfig };
  endpointFor: (server: ServerConfig) => PublicEndpoint;
  verifyDefaults?: Omit<VerifyOptions, 'events' | 'scheme'>;
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

const DEFAULTS = { serverConcurrency: 4, verifyConcurrency: 6 };

type Mode = 'run' | 'resume';

/** True when the job says running but the process that ran it is gone (same machine only). */
export function runnerIsGone(job: JobRecord): boolean {
  if (job.status !== 'running' && job.status !== 'queued') return false;
  // A resumed job's runner is in its summary (the request is written once); the first runner in the request.
  const runner = (job.summary as { runner?: RunnerMark } | null)?.runner ?? (job.request as StoredBulkRequest | null)?.runner;
  if (!runner) return false;
  return runner.host === hostname() && !pidAlive(runner.pid);
}

export class BulkRunner {
  constructor(private readonly deps: BulkDeps) {}

  /** Marks jobs whose runner process died as interrupted; returns them. Safe to call from any process. */
  reconcileInterrupted(): JobRecord[] {
    const out: JobRecord[] = [];
    for (const job of [...this.deps.jobs.list({ status: 'running' }), ...this.deps.jobs.list({ status: 'queued' })]) {
      if (job.kind === 'bulk' && runnerIsGone(job)) {
        out.push(this.deps.jobs.update(job.id, { status: 'interrupted' }));
        this.emit(
          job.id,
          stepEvent(
            'job',
            'info',
            `Job ${job.id} was running in a process that is gone (pid ${(job.request as StoredBulkRequest).runner?.pid}): interrupted. Resume or roll it back.`,
          ),
        );
      }
    }
    return out;
  }

  /** Plans (and unless dry-run, runs) a bulk job. Returns the finished job. */
  async start(request: BulkRequest, actor: string, onCreated?: (jobId: string) => void): Promise<JobRecord> {
    validateRequest(request);
    const stored: StoredBulkRequest = { ...request, runner: this.mark() };
    const job = this.deps.jobs.create({ kind: 'bulk', actor, request: stored, status: 'running' });
    onCreated?.(job.id);
    const started = Date.now();
    this.emit(
      job.id,
      stepEvent('job', 'start', `Bulk ${request.profile} (${describeSelection(request)})${request.dryRun ? ', dry run' : ''}`),
    );
    const plan = await this.plan(job.id, request);
    this.deps.jobs.update(job.id, { plan });
    for (const s of plan.servers) {
      for (const d of s.domains) this.setState(job.id, s.server, d.domain, 'planned', d.plan.summary);
      for (const k of s.skipped) this.setState(job.id, s.server, k.domain, k.state, k.message);
    }
    if (request.dryRun) {
      const summary = this.summarise(job.id, [], started);
      this.emit(
        job.id,
        stepEvent(
          'job',
          'ok',
          `Dry run: ${plan.servers.reduce((n, s) => n + s.domains.length, 0)} domain(s) would change; nothing written`,
        ),
      );
      return this.deps.jobs.update(job.id, {
        status: 'succeeded',
        summary: { ...summary, dryRun: true },
        endedAt: new Date().toISOString(),
      });
    }
    return this.execute(job.id, plan, request, actor, 'run', started);
  }

  /** Resumes an interrupted job: reads each domain's files back and carries on from where they are. */
  async resume(jobId: string, actor: string): Promise<JobRecord> {
    const job = this.interruptedJob(jobId);
    const request = job.request as StoredBulkRequest;
    this.deps.jobs.update(jobId, { status: 'running', summary: { runner: this.mark() } });
    const started = Date.now();
    this.emit(jobId, stepEvent('job', 'start', `Resuming job ${jobId} (by ${actor})`));
    return this.execute(jobId, job.plan as BulkPlan, request, actor, 'resume', started);
  }

  /** Rolls every changed domain of an interrupted or finished job back to its checkpoint, batched per server. */
  async rollback(jobId: string, actor: string): Promise<JobRecord> {
    const job = this.deps.jobs.get(jobId);
    if (!job || job.kind !== 'bulk')
      throw new ValidationError(`No bulk job ${jobId.slice(0, 60)}.`, { hint: 'list jobs with `passenger-panel jobs`' });
    if (job.status === 'running' && !runnerIsGone(job)) {
      throw new JobNotResumableError(
        `Job ${jobId} is still running (pid ${(job.request as StoredBulkRequest).runner?.pid}).`,
        'wait for it to finish, or stop that process first',
      );
    }
    const request = job.request as StoredBulkRequest;
    this.deps.jobs.update(jobId, { status: 'running', summary: { runner: this.mark() } });
    const started = Date.now();
    this.emit(jobId, stepEvent('job', 'start', `Rolling back job ${jobId} (by ${actor})`));
    const plan = job.plan as BulkPlan;
    const states = this.stateMap(jobId);
    const counters = await mapLimit(plan.servers, request.serverConcurrency ?? DEFAULTS.serverConcurrency, async (sp) => {
      const c = newCounters(sp.server);
      const t0 = Date.now();
      const candidates = sp.domains.filter(
        (d) => d.checkpointId && !['rolled-back', 'refused', 'nothing-to-do'].includes(states.get(key(sp.server, d.domain)) ?? ''),
      );
      if (candidates.length === 0) return c;
      try {
        const server = this.deps.servers.get(sp.server);
        const session = await this.deps.pool.get(server);
        await this.rollbackDomains(
          jobId,
          server,
          session,
          candidates,
          candidates.map(() => true),
          c,
          request,
        );
      } catch (err) {
        c.error = errorMessage(err);
        const now = this.stateMap(jobId);
        for (const d of candidates) {
          if (now.get(key(sp.server, d.domain)) !== 'rolled-back')
            this.setState(jobId, sp.server, d.domain, 'rollback-failed', `server error during rollback: ${c.error}`);
        }
      }
      c.wallMs = Date.now() - t0;
      return c;
    });
    const summary = this.summarise(jobId, counters, started);
    const failed = Object.entries(summary.counts).some(([s, n]) => n > 0 && s === 'rollback-failed');
    this.emit(
      jobId,
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

  /** Reads each unfinished domain's files back from its server and compares them with the plan. */
  async readback(jobId: string): Promise<DomainReadback[]> {
    const job = this.deps.jobs.get(jobId);
    if (!job || job.kind !== 'bulk')
      throw new ValidationError(`No bulk job ${jobId.slice(0, 60)}.`, { hint: 'list jobs with `passenger-panel jobs`' });
    const plan = job.plan as BulkPlan | null;
    if (!plan) return [];
    const states = this.stateMap(jobId);
    const out: DomainReadback[] = [];
    await Promise.all(
      plan.servers.map(async (sp) => {
        let sha: Map<string, string> | undefined;
        try {
          const session = await this.deps.pool.get(this.deps.servers.get(sp.server));
          sha = (
            await readPlanHashes(
              session,
              sp.domains.map((d) => d.plan),
            )
          ).sha;
        } catch {
          sha = undefined;
        }
        for (const d of sp.domains) {
          out.push({
            server: sp.server,
            domain: d.domain,
            recorded: states.get(key(sp.server, d.domain)) ?? 'unknown',
            live: !sha ? 'unreachable' : d.plan.files.length === 0 ? 'no-files' : classifyAgainstPlan(d.plan, sha),
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

  // ---------------------------------------------------------------- planning

  private async plan(jobId: string, request: BulkRequest): Promise<BulkPlan> {
    const all = this.deps.servers.list();
    const chosen = request.servers?.length ? request.servers.map((n) => this.deps.servers.get(n)) : all;
    const servers = await mapLimit(chosen, request.serverConcurrency ?? DEFAULTS.serverConcurrency, (server) =>
      this.planServer(jobId, server, request),
    );
    if (request.selection.kind === 'list') {
      const found = new Set(servers.flatMap((s) => [...s.domains.map((d) => d.domain), ...s.skipped.map((k) => k.domain)]));
      const missing = request.selection.domains.filter((d) => !found.has(d.includes(':') ? (d.split(':')[1] as string) : d));
      if (missing.length > 0) this.emit(jobId, stepEvent('plan', 'info', `Not found on any selected server: ${missing.join(', ')}`));
    }
    return { servers };
  }

  private async planServer(jobId: string, server: ServerConfig, request: BulkRequest): Promise<BulkServerPlan> {
    const out: BulkServerPlan = { server: server.name, domains: [], skipped: [] };
    try {
      this.emit(jobId, stepEvent('inventory', 'start', `Reading ${server.name}`, { server: server.name }));
      const inventory = await readServerInventory(this.deps.pool, server);
      const diagnosis = diagnoseServer(inventory);
      const verdict = new Map(diagnosis.domains.map((d) => [d.domain, d.verdict]));
      const selected = inventory.domains.filter((d) => selects(request, server.name, d.name, verdict.get(d.name), d.appRoot !== ''));
      this.emit(
        jobId,
        stepEvent(
          'inventory',
          'ok',
          `${server.name}: ${inventory.domains.length} domain(s), ${selected.length} selected (${diagnosis.summary})`,
          { server: server.name },
        ),
      );
      const session = await this.deps.pool.get(server);
      const inputs = selected.map((domain) => {
        const profile = socketioSafeProfile(domain);
        return {
          domain,
          settings: profile.settings,
          what: `profile ${SOCKETIO_SAFE} (bulk job ${jobId})`,
          findings: profile.findings,
          profile,
        };
      });
      const planned = await planBatch(session, inventory, inputs);
      planned.forEach((p, i) => {
        const domain = (inputs[i] as (typeof inputs)[number]).domain;
        if (p.error) out.skipped.push({ domain: p.domain, state: 'refused', message: p.error.describe() });
        else if (p.plan?.nothingToDo)
          out.skipped.push({ domain: p.domain, state: 'nothing-to-do', message: (inputs[i] as (typeof inputs)[number]).profile.summary });
        else if (p.plan) {
          out.domains.push({
            domain: domain.name,
            webServer: domain.mode,
            https: domain.https,
            appRoot: domain.appRoot,
            socketIoPath: domain.socketIoPath,
            plan: p.plan,
          });
        }
      });
      this.emit(
        jobId,
        stepEvent(
          'plan',
          'ok',
          `${server.name}: ${out.domains.length} to change, ${out.skipped.length} skipped; ` +
            `${out.domains.some((d) => d.plan.reloadNeeded) ? `one ${[...new Set(out.domains.filter((d) => d.plan.reloadNeeded).map((d) => d.webServer))].join('+')} reload` : 'no reload (.htaccess only)'}`,
          { server: server.name },
        ),
      );
    } catch (err) {
      out.error = errorMessage(err);
      this.emit(jobId, stepEvent('plan', 'fail', `${server.name}: ${out.error}`, { server: server.name }));
    }
    return out;
  }

  // ---------------------------------------------------------------- execution

  private async execute(
    jobId: string,
    plan: BulkPlan,
    request: StoredBulkRequest,
    actor: string,
    mode: Mode,
    started: number,
  ): Promise<JobRecord> {
    const counters = await mapLimit(plan.servers, request.serverConcurrency ?? DEFAULTS.serverConcurrency, (sp) =>
      this.runServer(jobId, plan, sp, request, actor, mode),
    );
    const summary = this.summarise(jobId, counters, started);
    const status = finalStatus(summary.counts, plan);
    this.emit(
      jobId,
      stepEvent('job', status === 'succeeded' ? 'ok' : 'fail', `Job ${status}: ${describeCounts(summary.counts)}`, { data: summary }),
    );
    return this.deps.jobs.update(jobId, { status, summary, endedAt: new Date().toISOString() });
  }

  private async runServer(
    jobId: string,
    plan: BulkPlan,
    sp: BulkServerPlan,
    request: StoredBulkRequest,
    actor: string,
    mode: Mode,
  ): Promise<ServerCounters> {
    const c = newCounters(sp.server);
    const t0 = Date.now();
    const states = this.stateMap(jobId);
    const todo = sp.domains.filter((d) => !TERMINAL_STATES.has(states.get(key(sp.server, d.domain)) ?? 'planned'));
    if (sp.error || todo.length === 0) {
      if (sp.error) c.error = sp.error;
      return c;
    }
    const maxFail = request.maxFailPerServer && request.maxFailPerServer > 0 ? request.maxFailPerServer : Infinity;
    const groups = request.canary && todo.length > 1 ? [todo.slice(0, 1), todo.slice(1)] : [todo];
    try {
      const server = this.deps.servers.get(sp.server);
      const session = await this.deps.pool.get(server);
      for (const [gi, group] of groups.entries()) {
        if (c.failed >= maxFail) {
          for (const d of group)
            this.setState(
              jobId,
              sp.server,
              d.domain,
              'cancelled',
              `not started: ${c.failed} failed domain(s) reached the limit of ${maxFail} on ${sp.server}`,
            );
          continue;
        }
        if (groups.length > 1)
          this.emit(
            jobId,
            stepEvent(
              'batch',
              'info',
              gi === 0
                ? `${sp.server}: canary ${group[0]?.domain} first, alone`
                : `${sp.server}: canary passed, the other ${group.length} domain(s) now`,
              { server: sp.server },
            ),
          );
        await this.withLocks(
          sp.server,
          group.map((d) => d.domain),
          () => this.runBatch(jobId, plan, server, session, group, c, request, actor, mode, maxFail),
        );
      }
    } catch (err) {
      c.error = errorMessage(err);
      this.emit(
        jobId,
        stepEvent(
          'server',
          'fail',
          `${sp.server}: ${c.error}; its unfinished domains are marked failed (resume or roll back when it is back)`,
          { server: sp.server },
        ),
      );
      const now = this.stateMap(jobId);
      for (const d of todo) {
        const st = now.get(key(sp.server, d.domain)) ?? 'planned';
        if (!TERMINAL_STATES.has(st)) {
          const untouched = st === 'planned' || st === 'checkpointed';
          this.setState(
            jobId,
            sp.server,
            d.domain,
            untouched ? 'cancelled' : 'failed',
            `${sp.server} failed mid-job (${c.error}); ${untouched ? 'nothing was written' : 'files may hold the change: resume or roll back'}`,
          );
        }
      }
    }
    c.wallMs = Date.now() - t0;
    this.emit(
      jobId,
      stepEvent(
        'server',
        c.error ? 'fail' : 'ok',
        `${sp.server}: ${c.verified} verified, ${c.failed} failed; ${c.configTests} config test(s), ${c.reloads} reload(s) in ${c.wallMs} ms`,
        { server: sp.server, data: c },
      ),
    );
    return c;
  }

  private async runBatch(
    jobId: string,
    plan: BulkPlan,
    server: ServerConfig,
    session: SshSession,
    group: BulkDomainPlan[],
    c: ServerCounters,
    request: StoredBulkRequest,
    actor: string,
    mode: Mode,
    maxFail: number,
  ): Promise<void> {
    const sv = server.name;
    c.batches += 1;
    // 1. Checkpoint set: fresh domains get exact copies now; resumed ones keep the copies taken before their first write.
    const fresh = group.filter((d) => !d.checkpointId);
    const resumed = group.filter((d) => d.checkpointId);
    const ready: BulkDomainPlan[] = [];
    if (fresh.length > 0) {
      this.emit(
        jobId,
        stepEvent('checkpoint', 'start', `${sv}: copying the files of ${fresh.length} domain(s) (one read)`, { server: sv }),
      );
      const cps = await checkpointBatch(
        session,
        fresh.map((d) => d.plan),
      );
      cps.forEach((cp, i) => {
        const d = fresh[i] as BulkDomainPlan;
        if (cp.status !== 'ok') {
          this.setState(jobId, sv, d.domain, 'refused', cp.message ?? 'files changed since the plan');
          return;
        }
        d.checkpointId = this.saveCheckpoint(sv, d.domain, cp.copies, `before bulk job ${jobId}`);
        d.changeId = this.deps.journal.createChange({
          jobId,
          server: sv,
          domain: d.domain,
          actor,
          kind: 'bulk-apply',
          request: { profile: request.profile, jobId },
          plan: planForJournal(d.plan),
          diff: d.plan.files.map((f) => f.diff).join(''),
          status: 'running',
        }).id;
        this.deps.journal.updateChange(d.changeId, { checkpointId: d.checkpointId });
        ready.push(d);
      });
    }
    if (resumed.length > 0) {
      const { sha } = await readPlanHashes(
        session,
        resumed.map((d) => d.plan),
      );
      for (const d of resumed) {
        const side = classifyAgainstPlan(d.plan, sha);
        this.emit(jobId, stepEvent('readback', 'info', `${d.domain}: files are ${side} the change`, { server: sv, domain: d.domain }));
        if (side === 'foreign')
          this.setState(jobId, sv, d.domain, 'conflict', 'files were changed by someone else since the job wrote them; not touched');
        else ready.push(d);
      }
    }
    // The checkpoint ids are in the stored plan before any byte is written: a crash from here on can be undone.
    this.deps.jobs.update(jobId, { plan });
    for (const d of ready) this.setState(jobId, sv, d.domain, 'checkpointed', `checkpoint ${d.checkpointId}`, d.changeId);
    if (ready.length === 0) return;
    this.emit(jobId, stepEvent('checkpoint', 'ok', `${sv}: ${ready.length} domain(s) checkpointed`, { server: sv }));

    // 2. All writes in one go (each file atomically; writing the planned bytes again is harmless on resume).
    for (const d of ready) this.setState(jobId, sv, d.domain, 'writing', `${d.plan.files.length} file(s)`);
    await writeBatch(
      session,
      ready.map((d) => d.plan),
    );
    for (const d of ready) this.setState(jobId, sv, d.domain, 'written', d.plan.files.map((f) => f.path).join(', '));
    this.emit(
      jobId,
      stepEvent(
        'write',
        'ok',
        `${sv}: wrote ${ready.reduce((n, d) => n + d.plan.files.length, 0)} file(s) of ${ready.length} domain(s) in one write`,
        { server: sv },
      ),
    );

    // 3. One config test, at most one reload.
    const webServerOf = (name: string) => (ready.find((d) => d.domain === name) as BulkDomainPlan).webServer;
    let bring: BringUpResult;
    try {
      this.emit(
        jobId,
        stepEvent(
          'config-test',
          'start',
          `${sv}: one config test over the whole tree${ready.some((d) => d.plan.reloadNeeded) ? ', then one reload' : ' (no reload: .htaccess only)'}`,
          { server: sv },
        ),
      );
      bring = await bringUpBatch(
        session,
        ready.map((d) => d.plan),
        webServerOf,
      );
      c.configTests += bring.configTests;
      c.reloads += bring.reloads;
      c.regenerations += bring.regenerated.length > 0 ? 1 : 0;
      this.emit(
        jobId,
        stepEvent(
          'config-test',
          'ok',
          `${sv}: config test passed; ${bring.reloads} reload(s)${bring.regenerated.length ? ` (through Plesk regeneration of ${bring.regenerated.length} domain(s))` : ''}`,
          { server: sv, data: bring },
        ),
      );
    } catch (err) {
      c.configTests += 1;
      this.emit(
        jobId,
        stepEvent('config-test', 'fail', `${sv}: ${errorMessage(err)}; restoring all ${ready.length} domain(s) of this batch`, {
          server: sv,
        }),
      );
      await this.rollbackDomains(
        jobId,
        server,
        session,
        ready,
        ready.map(() => false),
        c,
        request,
        `the batch failed the config test: ${errorMessage(err)}`,
      );
      return;
    }
    if (request.verify === false) {
      for (const d of ready) {
        this.setState(jobId, sv, d.domain, 'applied', 'written and loaded; not verified (--no-verify)');
        this.deps.journal.updateChange(d.changeId as string, {
          status: 'applied',
          verdict: 'not-verified',
          endedAt: new Date().toISOString(),
        });
      }
      return;
    }

    // 4. Verify each domain, bounded; stop judging once the server reached its failure limit.
    const vt0 = Date.now();
    const outcome = await mapLimit(ready, request.verifyConcurrency ?? DEFAULTS.verifyConcurrency, async (d) => {
      if (c.failed >= maxFail) {
        this.setState(
          jobId,
          sv,
          d.domain,
          'cancelled',
          `not verified: ${c.failed} failed domain(s) reached the limit of ${maxFail}; rolled back unproved`,
        );
        return 'cancelled' as const;
      }
      this.setState(jobId, sv, d.domain, 'verifying', 'live restart verification');
      const report = await this.verify(jobId, server, session, d, request);
      if (report.ok) {
        c.verified += 1;
        this.setState(jobId, sv, d.domain, 'verified', checksLine(report));
        this.deps.journal.updateChange(d.changeId as string, {
          status: 'verified',
          verdict: report.verdict,
          endedAt: new Date().toISOString(),
        });
        return 'ok' as const;
      }
      c.failed += 1;
      this.setState(jobId, sv, d.domain, 'failed', checksLine(report));
      return 'failed' as const;
    });
    c.verifyMs += Date.now() - vt0;

    // 5. Undo only what failed (and what the limit left unproved).
    const undo = ready.filter((_, i) => outcome[i] !== 'ok');
    if (undo.length > 0) {
      await this.rollbackDomains(
        jobId,
        server,
        session,
        undo,
        undo.map((d) => outcome[ready.indexOf(d)] === 'failed'),
        c,
        request,
        'verification failed or was not reached',
      );
    }
  }

  /**
   * Puts domains back to their checkpoints in one batch: guard (files must be as the job left them or
   * untouched), one write, one config test, one reload when needed, then verify the restored domains
   * that were judged (the rollback is proved like the change was).
   */
  private async rollbackDomains(
    jobId: string,
    server: ServerConfig,
    session: SshSession,
    domains: BulkDomainPlan[],
    verifyAfter: boolean[],
    c: ServerCounters,
    request: StoredBulkRequest,
    why?: string,
  ): Promise<void> {
    const sv = server.name;
    const { sha } = await readPlanHashes(
      session,
      domains.map((d) => d.plan),
    );
    const restore: BulkDomainPlan[] = [];
    const copies: CheckpointFileCopy[] = [];
    for (const d of domains) {
      const side = classifyAgainstPlan(d.plan, sha);
      if (side === 'foreign') {
        this.setState(jobId, sv, d.domain, 'conflict', 'files changed by someone else since the job wrote them; not restored');
        continue;
      }
      this.setState(jobId, sv, d.domain, 'rolling-back', `${why ? `${why}; ` : ''}restoring checkpoint ${d.checkpointId}`);
      if (side === 'before') continue;
      restore.push(d);
      copies.push(...this.loadCopies(d.checkpointId as string));
    }
    const needs = domains.filter((d) => !['conflict'].includes(this.stateMap(jobId).get(key(sv, d.domain)) ?? ''));
    try {
      if (restore.length > 0) await restoreBatch(session, copies);
      // Restored files must be loaded too: the same batch bring-up (plans reversed: regenerate where the file set changes back).
      const reversed = restore.map((d) => ({ ...d.plan, regenerateNeeded: d.plan.regenerateNeeded, reloadNeeded: d.plan.reloadNeeded }));
      if (reversed.length > 0) {
        const bring = await bringUpBatch(session, reversed, (name) => (restore.find((d) => d.domain === name) as BulkDomainPlan).webServer);
        c.configTests += bring.configTests;
        c.reloads += bring.reloads;
        c.regenerations += bring.regenerated.length > 0 ? 1 : 0;
      }
      this.emit(
        jobId,
        stepEvent('rollback', 'ok', `${sv}: restored ${restore.length} domain(s) from their checkpoints in one write; config test passed`, {
          server: sv,
        }),
      );
    } catch (err) {
      for (const d of needs) {
        this.setState(jobId, sv, d.domain, 'rollback-failed', `restore failed: ${errorMessage(err)}`);
        if (d.changeId) this.deps.journal.updateChange(d.changeId, { status: 'rollback-failed', endedAt: new Date().toISOString() });
      }
      this.emit(jobId, stepEvent('rollback', 'fail', `${sv}: restoring failed: ${errorMessage(err)}`, { server: sv }));
      return;
    }
    const toVerify = needs.filter((d) => verifyAfter[domains.indexOf(d)] && request.verify !== false);
    await mapLimit(needs, request.verifyConcurrency ?? DEFAULTS.verifyConcurrency, async (d) => {
      let note = 'restored (not re-verified: it was never judged)';
      if (toVerify.includes(d)) {
        const report = await this.verify(jobId, server, session, d, request, 'rollback');
        // The old state may well have the 400s the change was meant to fix: what matters is that it serves again.
        note = `restored; the old state ${report.checks.find((c) => c.check === 'restart')?.ok === false ? 'did NOT come back up' : 'serves again'} (${checksLine(report)})`;
      }
      this.setState(jobId, sv, d.domain, 'rolled-back', note);
      if (d.changeId) this.deps.journal.updateChange(d.changeId, { status: 'rolled-back', endedAt: new Date().toISOString() });
    });
  }

  private async verify(
    jobId: string,
    server: ServerConfig,
    session: SshSession,
    d: BulkDomainPlan,
    request: BulkRequest,
    phase: 'change' | 'rollback' = 'change',
  ): Promise<VerificationReport> {
    const events = (e: StepEvent) => {
      this.emit(jobId, phase === 'rollback' ? { ...e, step: `rollback.${e.step}` } : e);
      if (d.changeId) this.deps.journal.addEvent({ changeId: d.changeId }, e);
    };
    return verifyDomain(
      session,
      {
        domain: d.domain,
        server: server.name,
        appRoot: d.appRoot,
        socketIoPath: d.socketIoPath,
        integration: d.webServer,
        endpoint: this.deps.endpointFor(server),
      },
      {
        ...this.deps.verifyDefaults,
        ...(request.watchWindowMs ? { watchWindowMs: request.watchWindowMs } : {}),
        scheme: d.https ? 'https' : 'http',
        events,
      },
    );
  }

  // ---------------------------------------------------------------- helpers

  private interruptedJob(jobId: string): JobRecord {
    this.reconcileInterrupted();
    const job = this.deps.jobs.get(jobId);
    if (!job || job.kind !== 'bulk')
      throw new ValidationError(`No bulk job ${jobId.slice(0, 60)}.`, { hint: 'list jobs with `passenger-panel jobs`' });
    if (job.status !== 'interrupted') {
      throw new JobNotResumableError(
        `Job ${jobId} is ${job.status}, not interrupted.`,
        job.status === 'running'
          ? 'it is still running in another process'
          : 'only an interrupted job can be resumed; roll it back instead if needed',
      );
    }
    if (!job.plan)
      throw new JobNotResumableError(`Job ${jobId} stopped before its plan was stored.`, 'nothing was written; start a new job');
    return job;
  }

  private mark() {
    return { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  }

  private saveCheckpoint(server: string, domain: string, files: CheckpointFileCopy[], reason: string): string {
    return this.deps.journal.saveCheckpoint({
      server,
      domain,
      reason,
      files: files.map((f) => {
        const decoded = decodeExact(f.bytes);
        return {
          path: f.path,
          existed: f.existed,
          content: f.existed ? decoded.text : null,
          encoding: decoded.encoding,
          sha256: f.existed ? f.sha256 : null,
          ...(f.mode ? { mode: f.mode } : {}),
        };
      }),
    }).id;
  }

  private loadCopies(checkpointId: string): CheckpointFileCopy[] {
    const cp = this.deps.journal.getCheckpoint(checkpointId);
    if (!cp)
      throw new PanelError('checkpoint_missing', `Checkpoint ${checkpointId} is missing from the store.`, {
        hint: 'restore the database from a backup; the files were not touched',
      });
    return cp.files.map((f) => {
      const bytes = f.existed ? Buffer.from(f.content ?? '', f.encoding === 'latin1' ? 'latin1' : 'utf8') : Buffer.alloc(0);
      return { path: f.path, existed: f.existed, bytes, sha256: f.existed ? (f.sha256 ?? '') : ABSENT };
    });
  }

  private async withLocks<T>(server: string, domains: string[], work: () => Promise<T>): Promise<T> {
    const [first, ...rest] = domains;
    if (first === undefined) return work();
    return this.deps.locks.withLock(server, first, () => this.withLocks(server, rest, work));
  }

  private setState(jobId: string, server: string, domain: string, state: DomainState, message?: string, changeId?: string): void {
    this.deps.jobs.setDomainState(jobId, server, domain, state, { ...(message ? { message } : {}), ...(changeId ? { changeId } : {}) });
    this.emit(
      jobId,
      stepEvent(
        'domain',
        TERMINAL_FAIL.has(state) ? 'fail' : state === 'verified' || state === 'applied' ? 'ok' : 'info',
        `${domain}: ${state}${message ? ` (${message})` : ''}`,
        { server, domain, data: { state } },
      ),
    );
  }

  private stateMap(jobId: string): Map<string, string> {
    return new Map(this.deps.jobs.domainStates(jobId).map((s) => [key(s.server, s.domain), s.state]));
  }

  private emit(jobId: string, event: StepEvent): void {
    this.deps.journal.addEvent({ jobId }, event);
    this.deps.bus.publish({ ...event, jobId });
  }

  private summarise(jobId: string, servers: ServerCounters[], started: number): BulkSummary {
    const counts: Record<string, number> = {};
    for (const s of this.deps.jobs.domainStates(jobId)) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return { counts, servers, wallMs: Date.now() - started };
  }
}

const TERMINAL_FAIL = new Set<string>(['failed', 'rollback-failed', 'conflict', 'refused']);

function key(server: string, domain: string): string {
  return `${server}\u0000${domain}`;
}

function newCounters(server: string): ServerCounters {
  return { server, configTests: 0, reloads: 0, regenerations: 0, batches: 0, verified: 0, failed: 0, wallMs: 0, verifyMs: 0 };
}

function checksLine(r: VerificationReport): string {
  return `${r.verdict}: ${r.checks.map((c) => `${c.check} ${c.ok ? 'ok' : 'FAILED'}`).join(', ')}${
    r.ok
      ? ''
      : `; ${r.checks
          .filter((c) => !c.ok)
          .map((c) => c.summary)
          .join('; ')}`
  }`;
}

function selects(request: BulkRequest, server: string, domain: string, verdict: string | undefined, hasApp: boolean): boolean {
  const sel = request.selection;
  if (sel.kind === 'all') return hasApp;
  if (sel.kind === 'filter') return hasApp && verdict === 'at-risk';
  return sel.domains.some((entry) => {
    const [s, d] = entry.includes(':') ? entry.split(':') : [undefined, entry];
    return (s === undefined || s === server) && d?.toLowerCase() === domain;
  });
}

function validateRequest(r: BulkRequest): void {
  if (r.profile !== SOCKETIO_SAFE)
    throw new ValidationError(`Unknown profile "${String(r.profile).slice(0, 40)}".`, { field: 'profile', hint: `use ${SOCKETIO_SAFE}` });
  for (const [name, v] of [
    ['serverConcurrency', r.serverConcurrency],
    ['verifyConcurrency', r.verifyConcurrency],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 64))
      throw new ValidationError(`${name} must be an integer from 1 to 64, got ${v}.`, { field: name });
  }
  if (r.watchWindowMs !== undefined && (!Number.isInteger(r.watchWindowMs) || r.watchWindowMs < 1_000 || r.watchWindowMs > 600_000)) {
    throw new ValidationError(`the watch window must be 1 to 600 seconds, got ${r.watchWindowMs} ms.`, { field: 'watchWindowMs' });
  }
  if (r.maxFailPerServer !== undefined && (!Number.isInteger(r.maxFailPerServer) || r.maxFailPerServer < 0)) {
    throw new ValidationError(`max-fail must be a whole number (0 = no limit), got ${r.maxFailPerServer}.`, { field: 'maxFailPerServer' });
  }
  if (r.selection.kind === 'list' && r.selection.domains.length === 0)
    throw new ValidationError('The domain list is empty.', { field: 'domains', hint: 'name at least one domain, or use --where at-risk' });
}

export function describeSelection(r: BulkRequest): string {
  const sel =
    r.selection.kind === 'list'
      ? `${r.selection.domains.length} named domain(s)`
      : r.selection.kind === 'filter'
        ? `every domain ${r.selection.filter}`
        : 'every domain with an app';
  return `${sel}${r.servers?.length ? ` on ${r.servers.join(', ')}` : ' on every server'}`;
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
  const bad =
    (counts['failed'] ?? 0) +
    (counts['rolled-back'] ?? 0) +
    (counts['rollback-failed'] ?? 0) +
    (counts['conflict'] ?? 0) +
    (counts['refused'] ?? 0) +
    (counts['cancelled'] ?? 0);
  const good = (counts['verified'] ?? 0) + (counts['applied'] ?? 0) + (counts['nothing-to-do'] ?? 0);
  const serverErrors = plan.servers.some((s) => s.error);
  if (bad === 0 && !serverErrors) return 'succeeded';
  if (good === 0) return 'failed';
  return 'partial';
}
