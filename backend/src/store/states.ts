/**
 * The two state vocabularies of the panel, one each: where a job stands, and where one domain's change
 * stands (in a job row, a change row, the engine's result and the CLI). The store parses both with zod
 * on the way out, so nothing above it sees a state outside these lists.
 */
import { z } from 'zod';

/** 'interrupted': the process running the job is gone; resume or roll it back. */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'interrupted'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/**
 * One domain's change. In progress: planned, running (a change row being carried out), checkpointed,
 * writing, written, verifying, rolling-back. Terminal: every other one.
 */
export const DOMAIN_STATES = [
  'planned',
  'running',
  'checkpointed',
  'writing',
  'written',
  'verifying',
  'rolling-back',
  'verified',
  'applied',
  'nothing-to-do',
  'refused',
  'failed',
  'cancelled',
  'rolled-back',
  'rollback-failed',
  'conflict',
] as const;
export const DomainStateSchema = z.enum(DOMAIN_STATES);
export type DomainState = z.infer<typeof DomainStateSchema>;

/** The domain states that end a change well (the CLI exits 0 on them). */
export const GOOD_DOMAIN_STATES: ReadonlySet<DomainState> = new Set<DomainState>(['verified', 'applied', 'nothing-to-do']);
