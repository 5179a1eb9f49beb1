/** The shapes of a single-domain change: what it asks, how it ends, and what the engine did. */
import type { EngineDomainStatus, EngineResult } from '../apply/engine.js';
import type { ChangePlan, RequestedSetting } from '../apply/plan.js';
import type { SOCKETIO_SAFE } from '../profile/socketio-safe.js';
import type { DomainState } from '../store/states.js';
import type { VerificationReport, VerifyOptions } from '../verify/verifier.js';
import type { BulkDomainPlan } from './bulk-model.js';
import type { EventSink } from '../events.js';

/** What a change asks for: the named profile, or plain KEY=VALUE edits (value null = take our line out). */
export type ChangeRequest = { kind: 'profile'; profile: typeof SOCKETIO_SAFE } | { kind: 'set'; settings: RequestedSetting[] };

/** A change's outcome is the state its domain ends in; a dry run leaves it `planned`. */
export type ChangeStatus = DomainState;

export interface ChangeResult {
  status: ChangeStatus;
  message: string;
  plan?: ChangePlan;
  changeId?: string;
  checkpointId?: string | null;
  outcome?: ExecuteOutcome;
  verification?: VerificationReport;
  /** The automatic rollback after a failed verification, and its own verification. */
  rollback?: { changeId: string; outcome: ExecuteOutcome; verification?: VerificationReport };
}

export interface ChangeOptions {
  actor: string;
  dryRun?: boolean;
  /** Skip the live verification (and so the automatic rollback on failure). */
  verify?: boolean;
  events?: EventSink;
  jobId?: string;
  verifyOptions?: Omit<VerifyOptions, 'events' | 'scheme'>;
  /**
   * Once the change's checkpoint is saved, before its first byte is written: the job runner stores the
   * plan and checkpoint here so an interrupted change can be read back, resumed or rolled back.
   */
  onCheckpointed?: (record: BulkDomainPlan) => void;
  /** The digest of the plan the user confirmed (jobs/plan-digest.ts): any other plan is refused, nothing written. */
  expectPlan?: string;
}

/** What the engine did to one domain's files, as the single-change result reports it. */
export interface ExecuteOutcome {
  status: EngineDomainStatus;
  checkpointId: string | null;
  /** Web-server reloads this run caused (a Plesk regeneration reloads too and counts as one). */
  reloads: number;
  regenerated: boolean;
  configTest?: string;
  error?: string;
  errorCode?: string;
}

export function outcomeOf(result: EngineResult): ExecuteOutcome {
  const d = result.domains[0];
  return {
    status: d?.status ?? 'nothing-to-do',
    checkpointId: d?.checkpointId ?? null,
    reloads: result.bring.reloads,
    regenerated: result.bring.regenerated.length > 0,
    ...(result.bring.testOutput ? { configTest: result.bring.testOutput } : {}),
    ...(d?.message && d.status !== 'applied' && d.status !== 'nothing-to-do' ? { error: d.message } : {}),
    ...(d?.errorCode ? { errorCode: d.errorCode } : {}),
  };
}

/** The plan as the journal keeps it: everything but the full file texts (the diff has what changed). */
export function planForJournal(plan: ChangePlan): unknown {
  return { ...plan, files: plan.files.map(({ before: _b, after: _a, ...rest }) => rest) };
}
