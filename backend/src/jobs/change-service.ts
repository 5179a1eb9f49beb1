import type { ServerConfig } from '../config/types.js';
import { ValidationError, errorMessage } from '../errors.js';
import { type EventSink, type StepEvent, ignoreEvents, stepEvent } from '../events.js';
import { Checkpoints, restorePlans } from '../apply/checkpoints.js';
import { applyBatch } from '../apply/engine.js';
import { type ChangePlan, findDomain, reloadImpactOf } from '../apply/plan.js';
import type { RemoteFile } from '../ssh/files.js';
import type { ServerOps } from '../apply/server-ops.js';
import { failedChecks, verifyChange, verifySubjectOf } from '../apply/verification.js';
import type { DomainInventory, ServerInventory } from '../plesk/inventory.js';
import { serverRecommendations, type ServerPlan } from '../profile/server-recommendations.js';
import type { VerificationReport } from '../verify/verifier.js';
import type { JournalPort } from './journal-port.js';
import {
  type ChangeOptions,
  type ChangeRequest,
  type ChangeResult,
  type ChangeStatus,
  type ExecuteOutcome,
  outcomeOf,
  planForJournal,
} from './change-types.js';
import { planOrRefuse, planRequest } from './change-plan.js';
import { staleConfirmReason } from './plan-digest.js';
import type { ChangeDeps } from './ports.js';

export type { ChangeOptions, ChangeRequest, ChangeResult, ChangeStatus, ExecuteOutcome } from './change-types.js';
export { planForJournal } from './change-types.js';

/** What one change acts on: the server, the domain as inventoried, the plan, and the read it was made from. */
interface ChangeTarget {
  server: ServerConfig;
  domain: DomainInventory;
  inventory: ServerInventory;
  plan: ChangePlan;
  read?: ReadonlyMap<string, RemoteFile>;
}

export interface ChangeServiceDeps extends ChangeDeps {
  journal: JournalPort;
}

/**
 * The single-domain change flow: plan -> checkpoint -> write -> validate -> reload -> verify, and on a
 * failed verification an automatic rollback that is verified the same way. Every step is an event,
 * sent live to the caller and kept in the journal with the plan, the diff, the verdict and the checkpoint.
 */
export class ChangeService {
  private readonly checkpoints: Checkpoints;

  constructor(private readonly deps: ChangeServiceDeps) {
    this.checkpoints = new Checkpoints(deps.journal);
  }

  async inventory(server: ServerConfig): Promise<ServerInventory> {
    return this.deps.ports.inventory(server);
  }

  /** The admin-only server-wide recommendations (pool idle time) with their server-wide effect; plan only. */
  async serverPlan(server: ServerConfig): Promise<ServerPlan> {
    return serverRecommendations(await this.inventory(server));
  }

  /** The plan for a request, nothing written (the CLI's --dry-run and the UI's preview). */
  async plan(server: ServerConfig, domainName: string, request: ChangeRequest, inventory?: ServerInventory): Promise<ChangePlan> {
    return (await planRequest(this.deps.ports, server, domainName, request, inventory)).plan;
  }

  /**
   * Plans and carries out a change. The domain's lock is taken before the plan is read, so the files
   * the plan was made from are the checkpoint (no second read) and two changes never interleave: a
   * second one waits, then plans from what the first left.
   */
  async apply(server: ServerConfig, domainName: string, request: ChangeRequest, opts: ChangeOptions): Promise<ChangeResult> {
    if (opts.dryRun) {
      const planned = await planOrRefuse(this.deps.ports, server, domainName, request, opts);
      return 'status' in planned ? planned : { status: 'planned', message: planned.plan.summary, plan: planned.plan };
    }
    return this.deps.locks.withLock(server.name, domainName.toLowerCase(), async () => {
      const planned = await planOrRefuse(this.deps.ports, server, domainName, request, opts);
      // Checked under the lock, from the read the write is guarded by: nothing can change between the two.
      const stale = planned.plan ? staleConfirmReason(planned.plan, opts.expectPlan) : null;
      if (stale) return { status: 'refused', message: stale };
      if ('status' in planned) return planned;
      const { inventory, plan, read } = planned;
      const domain = findDomain(inventory, plan.domain);
      const kind = request.kind === 'profile' ? 'apply' : 'set';
      return this.runChange({ server, domain, inventory, plan, read }, kind, { request }, opts);
    });
  }

  /** Verification alone (no change): the same live proof, journaled as a `verify` entry. */
  async verify(
    server: ServerConfig,
    domainName: string,
    opts: Omit<ChangeOptions, 'dryRun' | 'verify'>,
  ): Promise<{ report: VerificationReport; changeId: string }> {
    const inventory = await this.inventory(server);
    const domain = findDomain(inventory, domainName);
    return this.deps.locks.withLock(server.name, domain.name, async () => {
      const change = this.deps.journal.createChange({
        server: server.name,
        domain: domain.name,
        actor: opts.actor,
        kind: 'verify',
        request: { verify: true },
        ...(opts.jobId ? { jobId: opts.jobId } : {}),
      });
      const sink = this.deps.journal.sinkFor({ changeId: change.id }, opts.events ?? ignoreEvents);
      const report = await this.runVerification(server, domain, sink, opts.verifyOptions);
      this.deps.journal.updateChange(change.id, {
        status: report.ok ? 'verified' : 'failed',
        verdict: report.verdict,
        endedAt: new Date().toISOString(),
      });
      return { report, changeId: change.id };
    });
  }

  /** Puts a domain's files back to a checkpoint (the newest one when `to` is not given), then verifies. */
  async rollback(server: ServerConfig, domainName: string, opts: ChangeOptions & { to?: string }): Promise<ChangeResult> {
    const inventory = await this.inventory(server);
    const domain = findDomain(inventory, domainName);
    const checkpoint = this.checkpoints.forDomain(server.name, domain.name, opts.to);
    const [plan] = await restorePlans(await this.deps.ports.ops(server), [checkpoint], {
      what: () => `rollback to ${checkpoint.id}`,
      reloadImpact: () => reloadImpactOf(inventory, domain.name, domain.mode),
    });
    if (!plan) throw new ValidationError(`Checkpoint ${checkpoint.id} names no file.`);
    if (opts.dryRun) return { status: 'planned', message: plan.summary, plan };
    const stale = staleConfirmReason(plan, opts.expectPlan);
    if (stale) return { status: 'refused', message: stale };
    if (plan.nothingToDo) return { status: 'nothing-to-do', message: plan.summary, plan };
    return this.deps.locks.withLock(server.name, domain.name, () =>
      this.runChange({ server, domain, inventory, plan }, 'rollback', { rollbackTo: checkpoint.id }, opts),
    );
  }

  history(
    server: ServerConfig,
    domainName: string,
    limit = 20,
  ): Array<ReturnType<JournalPort['listChanges']>[number] & { events: StepEvent[] }> {
    return this.deps.journal
      .listChanges({ server: server.name, domain: domainName.toLowerCase(), limit })
      .map((c) => ({ ...c, events: this.deps.journal.events({ changeId: c.id }) }));
  }

  private async runVerification(
    server: ServerConfig,
    domain: DomainInventory,
    sink: EventSink,
    overrides?: ChangeOptions['verifyOptions'],
  ): Promise<VerificationReport> {
    const ops = await this.deps.ports.ops(server);
    return verifyChange(ops, verifySubjectOf(domain), this.deps.endpointFor(server), {
      ...this.deps.verifyDefaults,
      ...overrides,
      events: sink,
      ...(this.deps.verifyDeadlineMs === undefined ? {} : { deadlineMs: this.deps.verifyDeadlineMs }),
    });
  }

  /** The engine on one domain: a batch of one. */
  private async execute(
    ops: ServerOps,
    change: { plan: ChangePlan; changeId: string; domain: DomainInventory; read?: ReadonlyMap<string, RemoteFile> },
    events: EventSink,
    onCheckpointed?: ChangeOptions['onCheckpointed'],
  ): Promise<ExecuteOutcome> {
    const { plan, changeId, domain } = change;
    const item = { plan, webServer: domain.mode, ...(change.read ? { read: change.read } : {}) };
    const result = await applyBatch(ops, [item], {
      server: plan.server,
      domain: plan.domain,
      checkpoints: this.checkpoints,
      events,
      reason: `before ${plan.what}`,
      onCheckpointed: ([ready]) => {
        if (!ready) return;
        this.deps.journal.updateChange(changeId, { checkpointId: ready.checkpointId });
        onCheckpointed?.({ ...verifySubjectOf(domain), plan, checkpointId: ready.checkpointId, changeId });
      },
      ...(this.deps.instanceTimeoutMs === undefined ? {} : { instanceTimeoutMs: this.deps.instanceTimeoutMs }),
    });
    return outcomeOf(result);
  }

  private async runChange(
    target: ChangeTarget,
    kind: 'apply' | 'set' | 'rollback',
    request: unknown,
    opts: ChangeOptions,
  ): Promise<ChangeResult> {
    const { server, domain, inventory, plan } = target;
    const { journal } = this.deps;
    const ops = await this.deps.ports.ops(server);
    const change = journal.createChange({
      server: server.name,
      domain: domain.name,
      actor: opts.actor,
      kind,
      request,
      ...(opts.jobId ? { jobId: opts.jobId } : {}),
    });
    const sink = journal.sinkFor({ changeId: change.id }, opts.events ?? ignoreEvents);
    const diff = plan.files.map((f) => f.diff).join('');
    journal.updateChange(change.id, { plan: planForJournal(plan), diff, status: 'running' });
    sink(
      stepEvent('plan', 'info', plan.summary, {
        domain: domain.name,
        server: server.name,
        data: { files: plan.files.map((f) => f.path), reloadImpact: plan.reloadImpact },
      }),
    );

    const finish = (status: ChangeStatus, verdict: string | null, checkpointId: string | null) =>
      journal.updateChange(change.id, { status, verdict, ...(checkpointId ? { checkpointId } : {}), endedAt: new Date().toISOString() });

    let outcome: ExecuteOutcome;
    try {
      outcome = await this.execute(
        ops,
        { plan, changeId: change.id, domain, ...(target.read ? { read: target.read } : {}) },
        sink,
        opts.onCheckpointed,
      );
    } catch (err) {
      // The engine handles every failure after the first write itself; what reaches here happened before
      // anything was written (reading the files) or while reading the result back.
      sink(stepEvent('apply', 'fail', `Server error: ${errorMessage(err)}`, { domain: domain.name, server: server.name }));
      finish('failed', 'server-error', null);
      return { status: 'failed', message: `${errorMessage(err)} (see \`history ${domain.name}\`)`, plan, changeId: change.id };
    }
    const base = { plan, changeId: change.id, checkpointId: outcome.checkpointId, outcome };
    if (outcome.status !== 'applied') {
      const status: ChangeStatus = outcome.status === 'conflict' ? 'refused' : outcome.status;
      finish(status, outcome.status, outcome.checkpointId);
      return { ...base, status, message: outcome.error ?? plan.summary };
    }
    if (opts.verify === false) {
      sink(stepEvent('verify', 'info', 'Verification skipped (--no-verify)', { domain: domain.name, server: server.name }));
      finish('applied', 'not-verified', outcome.checkpointId);
      return { ...base, status: 'applied', message: `${plan.summary}; applied, not verified` };
    }

    const verification = await this.runVerification(server, domain, sink, opts.verifyOptions);
    if (kind === 'rollback') return this.judgeRestoredState(verification, base, sink, finish, domain, server);
    if (verification.ok) {
      finish('verified', verification.verdict, outcome.checkpointId);
      return { ...base, status: 'verified', message: `${plan.summary}; verified`, verification };
    }

    // The change made things no better (or worse): put the files back and prove the old state still serves.
    sink(
      stepEvent('rollback', 'start', `Verification failed; rolling back to checkpoint ${outcome.checkpointId}`, {
        domain: domain.name,
        server: server.name,
      }),
    );
    const rollback = await this.autoRollback(server, domain, inventory, outcome.checkpointId as string, sink, opts);
    const ok = rollback.outcome.status === 'applied' || rollback.outcome.status === 'nothing-to-do';
    const status: ChangeStatus = ok ? 'rolled-back' : 'rollback-failed';
    sink(
      stepEvent(
        'rollback',
        ok ? 'ok' : 'fail',
        ok
          ? 'Rolled back to the files as they were before the change'
          : `Rollback failed: ${rollback.outcome.error ?? rollback.outcome.status}`,
        { domain: domain.name, server: server.name, data: { rollbackChangeId: rollback.changeId } },
      ),
    );
    finish(status, verification.verdict, outcome.checkpointId);
    return {
      ...base,
      status,
      message: `verification failed (${failedChecks(verification)}); ${ok ? 'rolled back' : 'rollback FAILED'}`,
      verification,
      rollback,
    };
  }

  /**
   * A rollback the admin asked for puts back an older state, which may well be the one that got 400s: a
   * failed probe is then evidence about that state, not a reason to undo the rollback. What must hold is
   * that the app serves again after the restart.
   */
  private judgeRestoredState(
    verification: VerificationReport,
    base: Pick<ChangeResult, 'plan' | 'changeId' | 'checkpointId' | 'outcome'>,
    sink: EventSink,
    finish: (status: ChangeStatus, verdict: string | null, checkpointId: string | null) => void,
    domain: DomainInventory,
    server: ServerConfig,
  ): ChangeResult {
    const checkpointId = base.checkpointId ?? null;
    const serves = verification.checks.some((c) => c.check === 'restart' && c.ok);
    if (!serves) {
      sink(
        stepEvent('rollback.verify', 'fail', `The restored state does not serve: ${failedChecks(verification)}`, {
          domain: domain.name,
          server: server.name,
        }),
      );
      finish('failed', verification.verdict, checkpointId);
      return {
        ...base,
        status: 'failed',
        message: `rolled back, but the app does not serve (${failedChecks(verification)}); roll back to the checkpoint taken before it to return`,
        verification,
      };
    }
    const note = verification.ok ? 'and passes verification' : `but is at risk as before (${failedChecks(verification)})`;
    sink(stepEvent('rollback.verify', 'ok', `The restored state serves ${note}`, { domain: domain.name, server: server.name }));
    finish(verification.ok ? 'verified' : 'applied', verification.verdict, checkpointId);
    return {
      ...base,
      status: verification.ok ? 'verified' : 'applied',
      message: `${base.plan?.summary ?? 'rolled back'}; the restored state serves ${note}`,
      verification,
    };
  }

  private async autoRollback(
    server: ServerConfig,
    domain: DomainInventory,
    inventory: ServerInventory,
    checkpointId: string,
    sink: EventSink,
    opts: ChangeOptions,
  ) {
    const { journal } = this.deps;
    const ops = await this.deps.ports.ops(server);
    const checkpoint = this.checkpoints.forDomain(server.name, domain.name, checkpointId);
    const [plan] = await restorePlans(ops, [checkpoint], {
      what: () => `automatic rollback to ${checkpointId}`,
      reloadImpact: () => reloadImpactOf(inventory, domain.name, domain.mode),
    });
    if (!plan) throw new ValidationError(`Checkpoint ${checkpointId} names no file.`);
    const change = journal.createChange({
      server: server.name,
      domain: domain.name,
      actor: opts.actor,
      kind: 'auto-rollback',
      request: { rollbackTo: checkpointId },
      ...(opts.jobId ? { jobId: opts.jobId } : {}),
    });
    // Events go to both journal entries: the failed change shows its rollback, the rollback stands on its own.
    const rollbackSink = journal.sinkFor({ changeId: change.id }, sink);
    journal.updateChange(change.id, { plan: planForJournal(plan), diff: plan.files.map((f) => f.diff).join(''), status: 'running' });
    const outcome = await this.execute(ops, { plan, changeId: change.id, domain }, rollbackSink);
    let verification: VerificationReport | undefined;
    if (outcome.status === 'applied' || outcome.status === 'nothing-to-do') {
      verification = await this.runVerification(server, domain, rollbackSink, opts.verifyOptions);
      rollbackSink(
        stepEvent(
          'rollback.verify',
          'info',
          `Verification of the rolled-back state: ${verification.verdict} (${verification.ok ? 'the old state serves' : failedChecks(verification)})`,
          { domain: domain.name, server: server.name },
        ),
      );
    }
    const status = outcome.status === 'applied' || outcome.status === 'nothing-to-do' ? 'applied' : 'rollback-failed';
    journal.updateChange(change.id, {
      status,
      verdict: verification?.verdict ?? null,
      ...(outcome.checkpointId ? { checkpointId: outcome.checkpointId } : {}),
      endedAt: new Date().toISOString(),
    });
    return { changeId: change.id, outcome, ...(verification ? { verification } : {}) };
  }
}
