/** Shapes of a bulk job: what was asked, the stored plan, per-domain states and the summary. */
import type { ChangePlan } from '../apply/plan.js';
import type { VerifySubject } from '../apply/verification.js';
import type { DomainState } from '../store/states.js';

export type BulkSelection = { kind: 'list'; domains: string[] } | { kind: 'filter'; filter: 'at-risk' } | { kind: 'all' };

export interface BulkRequest {
  profile: 'socketio-safe';
  selection: BulkSelection;
  /** Limit to these servers (default: every configured server). */
  servers?: string[];
  dryRun?: boolean;
  /** Servers worked on at once. */
  serverConcurrency?: number;
  /** Verifications at once per server. */
  verifyConcurrency?: number;
  /** The first domain of each server alone first, then the rest. */
  canary?: boolean;
  /** Stop a server's batch after this many failed domains (0 or absent: never stop early). */
  maxFailPerServer?: number;
  /** Process watch window of each verification (default: the verifier's, at least 10 s). */
  watchWindowMs?: number;
  /** Skip live verification (changes stay unproved; no automatic rollback). */
  verify?: boolean;
}

export type { DomainState } from '../store/states.js';

/**
 * States a job does not take up again on resume. `failed` is not among them: a domain that failed
 * mid-job may hold the change, and resume carries it on (or a rollback undoes it).
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set<DomainState>([
  'verified',
  'applied',
  'nothing-to-do',
  'refused',
  'rolled-back',
  'rollback-failed',
  'cancelled',
  'conflict',
]);

/** One domain in the stored plan: enough to write, verify and undo it without a new inventory. */
export interface BulkDomainPlan extends VerifySubject {
  plan: ChangePlan;
  /** Set once its checkpoint is saved (before anything is written). */
  checkpointId?: string;
  changeId?: string;
  /** sha256 per path of what the write left, once the write returned. */
  written?: Record<string, string>;
}

export interface BulkServerPlan {
  server: string;
  domains: BulkDomainPlan[];
  /** Selected but nothing to write (already safe) or refused by the catalog. */
  skipped: Array<{ domain: string; state: 'nothing-to-do' | 'refused'; message: string }>;
  /** The server could not be read at planning time. */
  error?: string;
}

export interface BulkPlan {
  servers: BulkServerPlan[];
}

export interface ServerCounters {
  server: string;
  configTests: number;
  reloads: number;
  regenerations: number;
  batches: number;
  verified: number;
  failed: number;
  wallMs: number;
  verifyMs: number;
  error?: string;
}

export interface BulkSummary {
  counts: Record<string, number>;
  servers: ServerCounters[];
  wallMs: number;
}

/** Recorded in the job's request so another process can tell a live job from one whose runner died. */
export interface RunnerMark {
  pid: number;
  host: string;
  startedAt: string;
}

export interface StoredBulkRequest extends BulkRequest {
  runner?: RunnerMark;
}

/** Job kinds that change domains: each stores a plan in this shape, so each resumes and rolls back the same way. */
export const CHANGE_JOB_KINDS: ReadonlySet<string> = new Set(['bulk', 'apply', 'set', 'rollback']);
