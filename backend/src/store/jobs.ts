import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import { newId } from './ids.js';
import { jsonText, nowIso, parseRow, toJson } from './json.js';
import { type DomainState, DomainStateSchema, type JobStatus, JobStatusSchema } from './states.js';

export type { DomainState, JobStatus } from './states.js';

export interface JobRecord {
  id: string;
  /** e.g. 'apply', 'bulk', 'rollback', 'verify' */
  kind: string;
  actor: string;
  request: unknown;
  plan: unknown;
  status: JobStatus;
  summary: unknown;
  createdAt: string;
  updatedAt: string;
  endedAt: string | undefined;
}

/** Where one domain of a job stands. */
export interface JobDomainState {
  jobId: string;
  server: string;
  domain: string;
  state: DomainState;
  changeId: string | undefined;
  message: string | undefined;
  updatedAt: string;
}

const JobRowSchema = z.object({
  id: z.string(),
  kind: z.string(),
  actor: z.string(),
  request_json: jsonText,
  plan_json: jsonText.nullable(),
  status: JobStatusSchema,
  summary_json: jsonText.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  ended_at: z.string().nullable(),
});

const JobDomainRowSchema = z.object({
  job_id: z.string(),
  server: z.string(),
  domain: z.string(),
  state: DomainStateSchema,
  change_id: z.string().nullable(),
  message: z.string().nullable(),
  updated_at: z.string(),
});

function jobFromRow(row: unknown): JobRecord {
  const r = parseRow(JobRowSchema, 'jobs', row);
  return {
    id: r.id,
    kind: r.kind,
    actor: r.actor,
    request: r.request_json,
    plan: r.plan_json ?? undefined,
    status: r.status,
    summary: r.summary_json ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at ?? undefined,
  };
}

function domainFromRow(row: unknown): JobDomainState {
  const r = parseRow(JobDomainRowSchema, 'job_domains', row);
  return {
    jobId: r.job_id,
    server: r.server,
    domain: r.domain,
    state: r.state,
    changeId: r.change_id ?? undefined,
    message: r.message ?? undefined,
    updatedAt: r.updated_at,
  };
}

const UNFINISHED: JobStatus[] = ['queued', 'running'];

export class JobsRepository {
  private readonly db: Database;
  private readonly insertJob: Statement<Record<string, unknown>>;
  private readonly selectJob: Statement<[string], unknown>;
  private readonly upsertDomain: Statement<Record<string, unknown>>;
  private readonly selectDomains: Statement<[string], unknown>;

  constructor(db: Database) {
    this.db = db;
    this.insertJob = db.prepare(`
      INSERT INTO jobs (id, kind, actor, request_json, plan_json, status, created_at, updated_at)
      VALUES (@id, @kind, @actor, @request, @plan, @status, @now, @now)`);
    this.selectJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.upsertDomain = db.prepare(`
      INSERT INTO job_domains (job_id, server, domain, state, change_id, message, updated_at)
      VALUES (@jobId, @server, @domain, @state, @changeId, @message, @now)
      ON CONFLICT (job_id, server, domain) DO UPDATE SET
        state = excluded.state,
        change_id = COALESCE(excluded.change_id, job_domains.change_id),
        message = excluded.message,
        updated_at = excluded.updated_at`);
    this.selectDomains = db.prepare('SELECT * FROM job_domains WHERE job_id = ? ORDER BY server, domain');
  }

  create(input: { id?: string; kind: string; actor: string; request: unknown; plan?: unknown; status?: JobStatus }): JobRecord {
    const id = input.id ?? newId('job');
    this.insertJob.run({
      id,
      kind: input.kind,
      actor: input.actor,
      request: JSON.stringify(input.request ?? null),
      plan: toJson(input.plan),
      status: input.status ?? 'queued',
      now: nowIso(),
    });
    return this.get(id) as JobRecord;
  }

  update(id: string, patch: { status?: JobStatus; plan?: unknown; summary?: unknown; endedAt?: string }): JobRecord {
    const result = this.db
      .prepare(`
      UPDATE jobs SET
        status = COALESCE(@status, status),
        plan_json = COALESCE(@plan, plan_json),
        summary_json = COALESCE(@summary, summary_json),
        ended_at = COALESCE(@endedAt, ended_at),
        updated_at = @now
      WHERE id = @id`)
      .run({
        id,
        status: patch.status ?? null,
        plan: toJson(patch.plan),
        summary: toJson(patch.summary),
        endedAt: patch.endedAt ?? null,
        now: nowIso(),
      });
    if (result.changes === 0) throw new Error(`no job with id ${id}`);
    return this.get(id) as JobRecord;
  }

  get(id: string): JobRecord | undefined {
    const row = this.selectJob.get(id);
    return row ? jobFromRow(row) : undefined;
  }

  /** Newest first. */
  list(filter: { status?: JobStatus; limit?: number } = {}): JobRecord[] {
    const rows =
      filter.status === undefined
        ? this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(filter.limit ?? 100)
        : this.db
            .prepare('SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(filter.status, filter.limit ?? 100);
    return rows.map(jobFromRow);
  }

  setDomainState(
    jobId: string,
    server: string,
    domain: string,
    state: DomainState,
    extra: { changeId?: string; message?: string } = {},
  ): void {
    this.upsertDomain.run({
      jobId,
      server,
      domain,
      state,
      changeId: extra.changeId ?? null,
      message: extra.message ?? null,
      now: nowIso(),
    });
  }

  domainStates(jobId: string): JobDomainState[] {
    return this.selectDomains.all(jobId).map(domainFromRow);
  }

  /**
   * Marks jobs left queued/running by a previous process as interrupted and returns them,
   * so start-up can offer resume or rollback instead of pretending they still run.
   */
  markInterrupted(): JobRecord[] {
    const placeholders = UNFINISHED.map(() => '?').join(', ');
    const jobs = this.db
      .prepare(`SELECT * FROM jobs WHERE status IN (${placeholders})`)
      .all(...UNFINISHED)
      .map(jobFromRow);
    const mark = this.db.prepare(`UPDATE jobs SET status = 'interrupted', updated_at = ? WHERE id = ?`);
    this.db.transaction(() => {
      for (const job of jobs) mark.run(nowIso(), job.id);
    })();
    return jobs.map((j) => ({ ...j, status: 'interrupted' as const }));
  }
}
