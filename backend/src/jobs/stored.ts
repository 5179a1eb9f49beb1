/**
 * The JSON a job keeps in the store (its request, plan and summary), parsed with zod when read back:
 * the store hands these columns up as unknown, and a resume acts on nothing it has not checked.
 */
import { z } from 'zod';
import type { ChangePlan, ReloadImpact } from '../apply/plan.js';
import { PanelError } from '../errors.js';
import type { Finding } from '../diagnose/findings.js';
import { type DirectiveKey, lookupDirective } from '../passenger/catalog.js';
import type { JobRecord } from '../store/jobs.js';
import { DomainStateSchema } from '../store/states.js';
import type { BulkPlan, BulkSummary, RunnerMark } from './bulk-model.js';

const RunnerMarkSchema = z.object({ pid: z.number().int(), host: z.string(), startedAt: z.string() });

const FileChangeSchema = z.object({
  path: z.string(),
  kind: z.enum(['vhost', 'vhost_ssl', 'vhost_nginx', 'htaccess']),
  existedBefore: z.boolean(),
  existsAfter: z.boolean(),
  beforeSha256: z.string(),
  before: z.string(),
  after: z.string(),
  encoding: z.enum(['utf8', 'latin1']),
  diff: z.string(),
  keys: z.array(z.string()),
  needsReload: z.boolean(),
  needsRegenerate: z.boolean(),
});

const ChangePlanSchema = z.object({
  server: z.string(),
  domain: z.string(),
  what: z.string(),
  createdAt: z.string(),
  settings: z.array(
    z.object({
      key: z.custom<DirectiveKey>((k) => typeof k === 'string' && lookupDirective(k)?.key === k, 'not a catalog key'),
      value: z.union([z.boolean(), z.number(), z.string()]).nullable(),
      reason: z.string().optional(),
      files: z.array(z.string()),
    }),
  ),
  files: z.array(FileChangeSchema),
  reloadNeeded: z.boolean(),
  regenerateNeeded: z.boolean(),
  // Shown to people only; its shape is the planner's.
  reloadImpact: z.custom<ReloadImpact | null>((v) => v === null || typeof v === 'object'),
  findings: z.custom<Finding[]>((v) => Array.isArray(v)),
  nothingToDo: z.boolean(),
  summary: z.string(),
}) satisfies z.ZodType<ChangePlan>;

const BulkPlanSchema = z.object({
  servers: z.array(
    z.object({
      server: z.string(),
      domains: z.array(
        z.object({
          domain: z.string(),
          webServer: z.enum(['apache', 'nginx']),
          https: z.boolean(),
          appRoot: z.string(),
          socketIoPath: z.string(),
          plan: ChangePlanSchema,
          checkpointId: z.string().optional(),
          changeId: z.string().optional(),
          written: z.record(z.string(), z.string()).optional(),
        }),
      ),
      skipped: z.array(z.object({ domain: z.string(), state: z.enum(['nothing-to-do', 'refused']), message: z.string() })),
      error: z.string().optional(),
    }),
  ),
}) satisfies z.ZodType<BulkPlan>;

const CountersSchema = z.object({
  server: z.string(),
  configTests: z.number(),
  reloads: z.number(),
  regenerations: z.number(),
  batches: z.number(),
  verified: z.number(),
  failed: z.number(),
  wallMs: z.number(),
  verifyMs: z.number(),
  error: z.string().optional(),
});

const BulkSummarySchema = z.object({
  counts: z.partialRecord(DomainStateSchema, z.number()),
  servers: z.array(CountersSchema),
  wallMs: z.number(),
  dryRun: z.boolean().optional(),
});

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string, job: JobRecord): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new PanelError('job_record_invalid', `job ${job.id}: its stored ${what} does not fit: ${z.prettifyError(result.error)}`, {
      hint: 'the job was written by another version of the panel; roll its domains back by hand from `history`',
    });
  }
  return result.data;
}

/** The job's stored plan (null when it stopped before planning). */
export function storedPlan(job: JobRecord): BulkPlan | null {
  return job.plan === undefined || job.plan === null ? null : parsed(BulkPlanSchema, job.plan, 'plan', job);
}

/** Who runs (or ran) the job: a resume records its own runner in the summary, the first one is in the request. */
export function runnerOf(job: JobRecord): RunnerMark | undefined {
  const from = (value: unknown) => z.object({ runner: RunnerMarkSchema }).safeParse(value).data?.runner;
  return from(job.summary) ?? from(job.request);
}

/** The counts and per-server figures of a finished bulk job, when its summary has them. */
export function bulkSummary(job: JobRecord): (BulkSummary & { dryRun?: boolean | undefined }) | undefined {
  return BulkSummarySchema.safeParse(job.summary).data;
}

/** The request's options a run reads (all optional: a single-domain job runs with the defaults). */
const RunOptionsSchema = z.object({
  profile: z.literal('socketio-safe').optional(),
  serverConcurrency: z.number().int().optional(),
  verifyConcurrency: z.number().int().optional(),
  canary: z.boolean().optional(),
  maxFailPerServer: z.number().int().optional(),
  watchWindowMs: z.number().int().optional(),
  verify: z.boolean().optional(),
});

export type RunOptions = z.infer<typeof RunOptionsSchema>;

export function runOptionsOf(job: JobRecord): RunOptions {
  return parsed(RunOptionsSchema, job.request, 'request', job);
}
