/**
 * One server's part of a bulk job: batches (a canary alone first when asked) through the one change
 * engine, then a bounded live verification of each domain, then a rollback of only what failed, itself
 * run through the engine and verified. States and events go to the job's book as they happen.
 */
import type { ServerConfig } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { type StepEvent, stepEvent } from '../events.js';
import type { Checkpoints } from '../apply/checkpoints.js';
import { classifyAgainstPlan, readPlanFiles, restorePlans, shaMap } from '../apply/checkpoints.js';
import { type EngineDomainResult, type EngineResult, applyBatch } from '../apply/engine.js';
import type { ServerOps } from '../apply/server-ops.js';
import { checksLine, verifyChange } from '../apply/verification.js';
import type { JournalRepository } from '../store/journal.js';
import type { DomainState } from '../store/states.js';
import type { JobsRepository } from '../store/jobs.js';
import type { VerificationReport } from '../verify/verifier.js';
import { type BulkDomainPlan, type BulkPlan, type BulkServerPlan, type ServerCounters, TERMINAL_STATES } from './bulk-model.js';
import { BULK_DEFAULTS } from './bulk-plan.js';
import { planForJournal } from './change-service.js';
import { mapLimit } from './concurrency.js';
import { type JobBook, domainKey, newCounters } from './job-book.js';
import type { ChangeDeps } from './ports.js';
import type { RunOptions } from './stored.js';

export interface ServerRunDeps extends ChangeDeps {
  jobs: JobsRepository;
  journal: JournalRepository;
  checkpoints: Checkpoints;
}

/** Who runs the job and on what: fixed for the whole server run. */
export interface ServerRunScope {
  book: JobBook;
  plan: BulkPlan;
  request: RunOptions;
  actor: string;
  server: ServerConfig;
}

export class ServerRun {
  readonly counters: ServerCounters;
  private readonly maxFail: number;

  constructor(
    private readonly deps: ServerRunDeps,
    private readonly scope: ServerRunScope,
    private readonly ops: ServerOps,
  ) {
    this.counters = newCounters(scope.server.name);
    const max = scope.request.maxFailPerServer;
    this.maxFail = max && max > 0 ? max : Number.POSITIVE_INFINITY;
  }

  private get sv(): string {
    return this.scope.server.name;
  }

  /** Runs every unfinished domain of the server plan: canary first when asked, stops at the failure limit. */
  async run(sp: BulkServerPlan): Promise<void> {
    const { book } = this.scope;
    const states = book.states();
    const todo = sp.domains.filter((d) => !TERMINAL_STATES.has(states.get(domainKey(sp.server, d.domain)) ?? 'planned'));
    const groups = this.scope.request.canary && todo.length > 1 ? [todo.slice(0, 1), todo.slice(1)] : [todo];
    for (const [gi, group] of groups.entries()) {
      if (group.length === 0) continue;
      if (this.counters.failed >= this.maxFail) {
        const why = `not started: ${this.counters.failed} failed domain(s) reached the limit of ${this.maxFail} on ${sp.server}`;
        for (const d of group) book.setState(sp.server, d.domain, 'cancelled', why);
        continue;
      }
      if (groups.length > 1) {
        const text =
          gi === 0
            ? `${sp.server}: canary ${group[0]?.domain} first, alone`
            : `${sp.server}: canary passed, the other ${group.length} domain(s) now`;
        book.emit(stepEvent('batch', 'info', text, { server: sp.server }));
      }
      await this.withLocks(
        group.map((d) => d.domain),
        () => this.batch(group),
      );
    }
  }

  private async withLocks<T>(domains: string[], work: () => Promise<T>): Promise<T> {
    const [first, ...rest] = domains;
    if (first === undefined) return work();
    return this.deps.locks.withLock(this.sv, first, () => this.withLocks(rest, work));
  }

  private async batch(group: BulkDomainPlan[]): Promise<void> {
    const { book, plan, request, actor } = this.scope;
    const sv = this.sv;
    this.counters.batches += 1;
    const result = await applyBatch(
      this.ops,
      group.map((d) => ({
        plan: d.plan,
        webServer: d.webServer,
        ...(d.checkpointId ? { checkpointId: d.checkpointId } : {}),
        ...(d.written ? { written: d.written } : {}),
      })),
      {
        server: sv,
        checkpoints: this.deps.checkpoints,
        events: (e) => book.emit(e),
        reason: `before bulk job ${book.jobId}`,
        ...(this.deps.instanceTimeoutMs === undefined ? {} : { instanceTimeoutMs: this.deps.instanceTimeoutMs }),
        onCheckpointed: (ready) => {
          for (const r of ready) {
            const d = group.find((g) => g.domain === r.plan.domain) as BulkDomainPlan;
            if (!d.changeId) {
              d.changeId = this.deps.journal.createChange({
                jobId: book.jobId,
                server: sv,
                domain: d.domain,
                actor,
                kind: 'bulk-apply',
                request: { profile: request.profile, jobId: book.jobId },
                plan: planForJournal(d.plan),
                diff: d.plan.files.map((f) => f.diff).join(''),
                status: 'running',
              }).id;
            }
            d.checkpointId = r.checkpointId;
            this.deps.journal.updateChange(d.changeId, { checkpointId: r.checkpointId });
          }
          // The checkpoint ids are in the stored plan before any byte is written: a crash from here on can be undone.
          this.deps.jobs.update(book.jobId, { plan });
          for (const r of ready) {
            const d = group.find((g) => g.domain === r.plan.domain) as BulkDomainPlan;
            book.setState(sv, d.domain, 'checkpointed', `checkpoint ${d.checkpointId}`, d.changeId);
            book.setState(sv, d.domain, 'writing', `${d.plan.files.length} file(s)`);
          }
        },
        onWritten: (ready) => {
          for (const r of ready) {
            const d = group.find((g) => g.domain === r.plan.domain) as BulkDomainPlan;
            d.written = r.written;
            book.setState(sv, d.domain, 'written', d.plan.files.map((f) => f.path).join(', '));
          }
          this.deps.jobs.update(book.jobId, { plan });
        },
      },
    );
    this.count(result);
    const applied: BulkDomainPlan[] = [];
    for (const r of result.domains) {
      const d = group.find((g) => g.domain === r.domain) as BulkDomainPlan;
      if (r.status === 'applied') applied.push(d);
      else this.recordEngineEnd(d, r);
    }
    if (applied.length === 0) return;
    if (request.verify === false) {
      for (const d of applied) {
        book.setState(sv, d.domain, 'applied', 'written and loaded; not verified (--no-verify)');
        this.endChange(d, 'applied', 'not-verified');
      }
      return;
    }
    await this.verifyAndUndo(applied);
  }

  private count(result: EngineResult): void {
    this.counters.configTests += result.bring.configTests;
    this.counters.reloads += result.bring.reloads;
    this.counters.regenerations += result.bring.regenerated.length > 0 ? 1 : 0;
  }

  private recordEngineEnd(d: BulkDomainPlan, r: EngineDomainResult): void {
    const state = r.status === 'nothing-to-do' ? 'nothing-to-do' : r.status === 'applied' ? 'applied' : r.status;
    const note = r.status === 'rolled-back' ? `restored (not re-verified: it was never judged); ${r.message ?? ''}` : r.message;
    this.scope.book.setState(this.sv, d.domain, state, note);
    if (d.changeId) this.endChange(d, state === 'refused' || state === 'conflict' ? 'failed' : state, null);
  }

  private endChange(d: BulkDomainPlan, status: DomainState, verdict: string | null): void {
    if (d.changeId) this.deps.journal.updateChange(d.changeId, { status, verdict, endedAt: new Date().toISOString() });
  }

  /** Verifies each domain (bounded), stops judging at the failure limit, and undoes what failed. */
  private async verifyAndUndo(ready: BulkDomainPlan[]): Promise<void> {
    const { book, request } = this.scope;
    const sv = this.sv;
    const vt0 = Date.now();
    const outcome = await mapLimit(ready, request.verifyConcurrency ?? BULK_DEFAULTS.verifyConcurrency, async (d) => {
      if (this.counters.failed >= this.maxFail) {
        const why = `not verified: ${this.counters.failed} failed domain(s) reached the limit of ${this.maxFail}; rolled back unproved`;
        book.setState(sv, d.domain, 'cancelled', why);
        return 'cancelled' as const;
      }
      book.setState(sv, d.domain, 'verifying', 'live restart verification');
      const report = await this.verify(d, 'change');
      if (report.ok) {
        this.counters.verified += 1;
        book.setState(sv, d.domain, 'verified', checksLine(report));
        this.endChange(d, 'verified', report.verdict);
        return 'ok' as const;
      }
      this.counters.failed += 1;
      book.setState(sv, d.domain, 'failed', checksLine(report));
      return 'failed' as const;
    });
    this.counters.verifyMs += Date.now() - vt0;
    const undo = ready.filter((_, i) => outcome[i] !== 'ok');
    if (undo.length > 0) {
      await this.rollback(
        undo,
        undo.map((d) => outcome[ready.indexOf(d)] === 'failed'),
        'verification failed or was not reached',
      );
    }
  }

  /**
   * Puts domains back to their checkpoints through the engine (guarded, checkpointed, one write, one
   * config test, one reload when needed), refusing any whose files someone else changed since the job
   * wrote them, then verifies the restored domains that were judged: the rollback is proved like the change.
   */
  async rollback(domains: BulkDomainPlan[], verifyAfter: boolean[], why?: string): Promise<void> {
    const { book, request } = this.scope;
    const sv = this.sv;
    const sha = shaMap(
      await readPlanFiles(
        this.ops,
        domains.map((d) => d.plan),
      ),
    );
    const restore: BulkDomainPlan[] = [];
    for (const d of domains) {
      if (classifyAgainstPlan(d.plan, sha, d.written) === 'foreign') {
        book.setState(sv, d.domain, 'conflict', 'files changed by someone else since the job wrote them; not restored');
        continue;
      }
      book.setState(sv, d.domain, 'rolling-back', `${why ? `${why}; ` : ''}restoring checkpoint ${d.checkpointId}`);
      restore.push(d);
    }
    const failedRestore = new Set<string>();
    try {
      const checkpoints = restore.map((d) => this.deps.checkpoints.load(d.checkpointId as string));
      const plans = await restorePlans(this.ops, checkpoints, { what: (cp) => `rollback of bulk job ${book.jobId} to ${cp.id}` });
      const result = await applyBatch(
        this.ops,
        plans.map((plan) => ({ plan, webServer: (restore.find((d) => d.domain === plan.domain) as BulkDomainPlan).webServer })),
        {
          server: sv,
          checkpoints: this.deps.checkpoints,
          events: (e) => book.emit(prefixed(e)),
          reason: `before rollback of bulk job ${book.jobId}`,
        },
      );
      this.count(result);
      for (const r of result.domains) if (r.status !== 'applied' && r.status !== 'nothing-to-do') failedRestore.add(r.domain);
      const text = `${sv}: restored ${restore.length - failedRestore.size} domain(s) from their checkpoints in one write`;
      book.emit(
        stepEvent('rollback', failedRestore.size ? 'fail' : 'ok', failedRestore.size ? `${text}; ${result.error ?? ''}` : text, {
          server: sv,
        }),
      );
    } catch (err) {
      for (const d of restore) failedRestore.add(d.domain);
      book.emit(stepEvent('rollback', 'fail', `${sv}: restoring failed: ${errorMessage(err)}`, { server: sv }));
    }
    for (const d of restore.filter((x) => failedRestore.has(x.domain))) {
      book.setState(sv, d.domain, 'rollback-failed', 'restore failed: the files may still hold the change; roll the job back again');
      this.endChange(d, 'rollback-failed', null);
    }
    const restored = restore.filter((d) => !failedRestore.has(d.domain));
    await mapLimit(restored, request.verifyConcurrency ?? BULK_DEFAULTS.verifyConcurrency, async (d) => {
      let note = 'restored (not re-verified: it was never judged)';
      if (verifyAfter[domains.indexOf(d)] && request.verify !== false) {
        const report = await this.verify(d, 'rollback');
        // The old state may well have the 400s the change was meant to fix: what matters is that it serves again.
        const up = report.checks.find((c) => c.check === 'restart')?.ok !== false;
        note = `restored; the old state ${up ? 'serves again' : 'did NOT come back up'} (${checksLine(report)})`;
      }
      book.setState(sv, d.domain, 'rolled-back', note);
      this.endChange(d, 'rolled-back', null);
    });
  }

  private verify(d: BulkDomainPlan, phase: 'change' | 'rollback'): Promise<VerificationReport> {
    const { book, request, server } = this.scope;
    const events = (e: StepEvent) => {
      book.emit(phase === 'rollback' ? prefixed(e) : e);
      if (d.changeId) this.deps.journal.addEvent({ changeId: d.changeId }, e);
    };
    return verifyChange(this.ops, d, this.deps.endpointFor(server), {
      ...this.deps.verifyDefaults,
      ...(request.watchWindowMs ? { watchWindowMs: request.watchWindowMs } : {}),
      ...(this.deps.verifyDeadlineMs === undefined ? {} : { deadlineMs: this.deps.verifyDeadlineMs }),
      events,
    });
  }
}

function prefixed(e: StepEvent): StepEvent {
  return e.step.startsWith('rollback') ? e : { ...e, step: `rollback.${e.step}` };
}

/** Runs one server's plan; a server error marks its unfinished domains (resume or roll back later). */
export async function runServerPlan(
  deps: ServerRunDeps,
  scope: Omit<ServerRunScope, 'server'>,
  sp: BulkServerPlan,
  getServer: (name: string) => ServerConfig,
): Promise<ServerCounters> {
  const t0 = Date.now();
  if (sp.error) return { ...newCounters(sp.server), error: sp.error };
  let run: ServerRun | undefined;
  const { book } = scope;
  try {
    const server = getServer(sp.server);
    run = new ServerRun(deps, { ...scope, server }, await deps.ports.ops(server));
    await run.run(sp);
  } catch (err) {
    const c = run?.counters ?? newCounters(sp.server);
    c.error = errorMessage(err);
    book.emit(
      stepEvent(
        'server',
        'fail',
        `${sp.server}: ${c.error}; its unfinished domains are marked failed (resume or roll back when it is back)`,
        { server: sp.server },
      ),
    );
    const now = book.states();
    for (const d of sp.domains) {
      const st = now.get(domainKey(sp.server, d.domain)) ?? 'planned';
      if (TERMINAL_STATES.has(st)) continue;
      const untouched = st === 'planned' || st === 'checkpointed';
      const why = `${sp.server} failed mid-job (${c.error}); ${untouched ? 'nothing was written' : 'files may hold the change: resume or roll back'}`;
      book.setState(sp.server, d.domain, untouched ? 'cancelled' : 'failed', why);
    }
    run = undefined;
    return finish(book, { ...c, wallMs: Date.now() - t0 });
  }
  return finish(book, { ...run.counters, wallMs: Date.now() - t0 });
}

function finish(book: JobBook, c: ServerCounters): ServerCounters {
  const text = `${c.server}: ${c.verified} verified, ${c.failed} failed; ${c.configTests} config test(s), ${c.reloads} reload(s) in ${c.wallMs} ms`;
  book.emit(stepEvent('server', c.error ? 'fail' : 'ok', text, { server: c.server, data: c }));
  return c;
}
